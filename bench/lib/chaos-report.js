'use strict';
// The chaos run's verdict: the invariants (each ok or FAIL, with its figures), the
// summary table (Markdown, so it can be pasted into docs/reliability.md as is),
// and, when something failed, the evidence: the offending jobs' hashes and every
// service log line that names them.
const os = require('node:os');

/** Prints the report; returns the exit code (0: every invariant holds). */
function printReport(ctx) {
  const { submitter, results, deliveries, peer } = ctx;
  const { replay, state, redis, redisFinal, drained } = ctx;
  const all = (key) => results.sim[key].length + results.smtp[key].length;
  const recoveredTotal = state.recovered.sim + state.recovered.smtp;
  const badExits = state.finalExits.filter((e) => e.code !== 0 || e.timedOut);
  const unexpectedHttp = [...submitter.unexpected.entries()];
  const health = state.healthDuringOutage;

  const invariants = [
    [
      'the chaos happened: worker kills, an API restart, a Redis restart',
      state.workerKills > 0 && state.apiRestartEvents === 1 && state.redisRestarts === 1,
      `${state.workerKills} kills, ${state.apiRestartEvents} API restart(s), ${state.redisRestarts} Redis restart(s)`,
    ],
    [
      'every planned job was accepted (201 or 200)',
      submitter.accepted === ctx.jobs,
      `${submitter.accepted}/${ctx.jobs}, given up ${submitter.givenUp.length}`,
    ],
    [
      'no HTTP answer other than 201, 200, 503',
      unexpectedHttp.length === 0,
      unexpectedHttp.length === 0
        ? 'none'
        : unexpectedHttp.map(([s, n]) => `${s} x${n}`).join(', '),
    ],
    ['lost: every accepted job exists in Redis', all('lost') === 0, String(all('lost'))],
    [
      'stuck: no job pending or processing after the drain',
      all('stuck') === 0 && drained,
      `${all('stuck')}${drained ? '' : ' (queue not drained)'}`,
    ],
    [
      'every job is completed or failed',
      all('badStatus') === 0,
      `${all('badStatus')} with another status`,
    ],
    [
      `retry_count <= JOB_MAX_RETRIES (${ctx.service.maxRetries})`,
      all('overRetries') === 0,
      `${all('overRetries')} over`,
    ],
    [
      'every failed job has last_error',
      all('failedWithoutError') === 0,
      `${all('failedWithoutError')} without`,
    ],
    [
      'every failed job used all its retries (no failure here is permanent)',
      all('failedEarly') === 0,
      `${all('failedEarly')} failed early`,
    ],
    [
      'finished jobs hold no lease and have completed_ts',
      all('leaseLeft') + all('noCompletedTs') === 0,
      `${all('leaseLeft')} with a lease, ${all('noCompletedTs')} without completed_ts`,
    ],
    [
      'job fields match what was submitted',
      all('mismatched') === 0,
      `${all('mismatched')} mismatched`,
    ],
    [
      'ready lists, delayed and in-flight sets empty',
      Object.values(results).every(
        (r) => r.queues.high + r.queues.low + r.queues.delayed + r.queues.inflight === 0,
      ),
      Object.entries(results)
        .map(([g, r]) => `${g} ${JSON.stringify(r.queues)}`)
        .join('; '),
    ],
    [
      'no job the client was not told about (no key made two jobs)',
      all('orphans') === 0,
      `${all('orphans')} unknown job(s), ${results.sim.doubleJobs.length + results.smtp.doubleJobs.length} key(s) with two jobs`,
    ],
    [
      'one idempotency record per accepted key',
      results.sim.idempotencyKeys + results.smtp.idempotencyKeys === submitter.accepted,
      `${results.sim.idempotencyKeys + results.smtp.idempotencyKeys} records`,
    ],
    [
      'every key sent again answers 200 with its first job id',
      replay.same === replay.checked && replay.checked === submitter.accepted,
      `${replay.same}/${replay.checked} (${replay.created.length} created a new job, ${replay.different.length} other answers, ${replay.errors} errors)`,
    ],
    [
      'SMTP: every completed job delivered at least once',
      deliveries.completedUndelivered.length === 0,
      `${deliveries.completedUndelivered.length} completed without a delivery`,
    ],
    [
      'SMTP: no delivery of a job the SMTP group did not run',
      deliveries.unknown.length === 0 && peer.withoutJobId === 0,
      `${deliveries.unknown.length} unknown X-Job-Id, ${peer.withoutJobId} without X-Job-Id`,
    ],
    [
      'SMTP: Message-ID is <job_id@domain> on every message',
      peer.badMessageIds.length === 0,
      `${peer.badMessageIds.length} other`,
    ],
    [
      'SMTP: extra deliveries <= SMTP kills x concurrency + SMTP recoveries',
      deliveries.extra <= deliveries.bound,
      `${deliveries.extra} <= ${state.smtpWorkerKills} x ${ctx.service.concurrency} + ${state.recovered.smtp} = ${deliveries.bound}`,
    ],
    [
      'no process exited on its own',
      state.unexpectedExits.length === 0 && redis.unexpectedExits.length === 0,
      `${state.unexpectedExits.length + redis.unexpectedExits.length}`,
    ],
    [
      'every process exited 0 on SIGTERM at the end',
      badExits.length === 0,
      badExits.length === 0
        ? `${state.finalExits.length} process(es)`
        : badExits
            .map((e) => `${e.name}: ${e.code ?? e.signal}${e.timedOut ? ' (timed out)' : ''}`)
            .join(', '),
    ],
    [
      'Redis SHUTDOWN exited 0 (AOF flushed)',
      [...state.redisShutdownCodes, redisFinal?.code].every((c) => c === 0),
      [...state.redisShutdownCodes, redisFinal?.code].join(', '),
    ],
    [
      '/health answered 503 while Redis was down',
      state.redisRestarts === 0 || health?.status === 503,
      healthText(health),
    ],
  ];
  const failures = invariants.filter(([, ok]) => !ok);

  const completedN = all('completed');
  const submitSeconds = ctx.seconds.submit;
  const failedN = all('failed');
  const rows = [
    ['seed', String(ctx.seed)],
    [
      'jobs accepted',
      `${submitter.accepted} (${results.sim.accepted} simulated, ${results.smtp.accepted} SMTP)`,
    ],
    ['completed', String(completedN)],
    ['failed (4 attempts failed)', String(failedN)],
    ['lost', String(all('lost'))],
    ['stuck', String(all('stuck'))],
    ['duplicates (SMTP jobs delivered more than once)', String(deliveries.duplicates.length)],
    ['extra SMTP deliveries / allowed bound', `${deliveries.extra} / ${deliveries.bound}`],
    [
      'SMTP deliveries / attempts (451s)',
      `${deliveries.deliveries} / ${deliveries.attempts} (${peer.refused})`,
    ],
    [
      'worker kills (SIGKILL)',
      `${state.workerKills} (${state.workerKills - state.smtpWorkerKills} simulated, ${state.smtpWorkerKills} SMTP)` +
        (state.skippedKills ? `, ${state.skippedKills} skipped: no worker ready` : ''),
    ],
    ['API restarts (SIGKILL)', `${state.apiRestartEvents} (${state.apiKills} API processes)`],
    [
      'Redis restarts (SHUTDOWN, AOF reload)',
      `${state.redisRestarts} (down ${(state.redisDownMs / 1000).toFixed(1)} s)`,
    ],
    [
      'recoveries (jobs, "Recovered N job(s)")',
      `${recoveredTotal} (${state.recovered.sim} simulated, ${state.recovered.smtp} SMTP)`,
    ],
    [
      '"lease lost" warnings / "completion refused" warnings',
      `${state.leaseLost.sim + state.leaseLost.smtp} / ${state.completionRefused}`,
    ],
    [
      'submission retries (conn. errors / 503 / timeouts)',
      `${submitter.retries} (${submitter.connectionErrors} / ${submitter.unavailable} / ${submitter.timeouts})`,
    ],
    ['idempotent replays during submission (200)', String(submitter.replayed)],
    ['/health while Redis was down', healthText(health)],
    [
      'submission time',
      `${submitSeconds.toFixed(1)} s (${(submitter.accepted / submitSeconds).toFixed(0)} jobs/s)`,
    ],
    ['drained after', `${ctx.seconds.drain.toFixed(1)} s`],
    ['total time', `${ctx.seconds.total.toFixed(1)} s`],
    [
      'chaos script event-loop delay p99 / max',
      `${ctx.loopDelayMs.p99.toFixed(0)} / ${ctx.loopDelayMs.max.toFixed(0)} ms`,
    ],
    ['load average (1 min) at the end', os.loadavg()[0].toFixed(2)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nSummary\n');
  console.log(`| ${'what'.padEnd(width)} | value |`);
  console.log(`| ${'-'.repeat(width)} | ----- |`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
  console.log('\nInvariants\n');
  for (const [name, ok, detail] of invariants)
    console.log(`  ${ok ? 'ok  ' : 'FAIL'}  ${name}: ${detail}`);
  if (deliveries.duplicates.length > 0) {
    console.log(
      '\nDuplicate SMTP deliveries (at least once: each needs a killed worker or a recovered lease):',
    );
    for (const d of deliveries.duplicates.slice(0, 20)) {
      console.log(
        `  ${d.id}  delivered ${d.deliveries}x, attempts ${peer.attempts.get(d.id)}, final ${d.status}`,
      );
    }
  }
  if (state.errorLines.length > 0) {
    console.log(`\nERROR lines in the service logs (${state.errorLines.length}, first 10):`);
    for (const line of state.errorLines.slice(0, 10)) console.log(`  ${line}`);
  }
  if (failures.length > 0) diagnose(ctx);
  console.log(`\nTimeline:\n  ${state.timeline.join('\n  ')}`);
  if (state.notable.length > 0) {
    console.log(
      `\nRecoveries and lost leases in the service logs (${state.notable.length}, first 40):`,
    );
    for (const line of state.notable.slice(0, 40)) console.log(`  ${line}`);
  }
  console.log(
    failures.length === 0
      ? `\nRESULT: PASS (seed ${ctx.seed})`
      : `\nRESULT: FAIL, ${failures.length} invariant(s) (seed ${ctx.seed}; replay: ${ctx.reproduce})`,
  );
  return failures.length === 0 ? 0 : 1;
}

function healthText(health) {
  if (!health) return 'no outage';
  return health.status
    ? `${health.status} in ${health.ms} ms`
    : `${health.error} after ${health.ms} ms`;
}

/** Evidence for a failed run: the offending jobs' hashes and every log line naming them. */
function diagnose(ctx) {
  const { results, submitter, replay, deliveries, state, redis } = ctx;
  console.log('\nDiagnostics');
  const show = (label, ids, group) => {
    if (ids.length === 0) return;
    console.log(`\n  ${label} (${ids.length}; first 5):`);
    for (const id of ids.slice(0, 5)) {
      const fields = { ...(results[group]?.jobs.get(id) ?? {}) };
      delete fields.payload;
      console.log(`    ${group} ${id} ${JSON.stringify(fields)}`);
      for (const proc of state.allProcs) {
        for (const line of proc.lines)
          if (line.includes(id)) console.log(`      ${proc.name}: ${line}`);
      }
    }
  };
  for (const group of ctx.groups) {
    const r = results[group];
    for (const key of [
      'lost',
      'stuck',
      'badStatus',
      'overRetries',
      'failedWithoutError',
      'failedEarly',
      'leaseLeft',
      'noCompletedTs',
      'mismatched',
      'orphans',
    ]) {
      show(`${key}`, r[key], group);
    }
    if (r.doubleJobs.length > 0)
      console.log(`  ${group} keys with two jobs: ${JSON.stringify(r.doubleJobs.slice(0, 5))}`);
  }
  show('SMTP completed without delivery', deliveries.completedUndelivered, 'smtp');
  if (submitter.unexpectedSamples.length > 0)
    console.log(`  unexpected answers: ${JSON.stringify(submitter.unexpectedSamples)}`);
  if (submitter.givenUp.length > 0)
    console.log(`  given up: ${JSON.stringify(submitter.givenUp.slice(0, 10))}`);
  if (replay.created.length + replay.different.length > 0) {
    console.log(
      `  replay: ${JSON.stringify([...replay.created, ...replay.different].slice(0, 5))}`,
    );
  }
  for (const line of state.unexpectedExits) console.log(`  ${line}`);
  for (const exit of redis.unexpectedExits)
    console.log(`  redis-server exited on its own: ${JSON.stringify(exit)}`);
  for (const proc of state.allProcs.filter(
    (p) => !p.expectedExit || (p.exit && p.exit.code !== 0 && !p.exit.signal),
  )) {
    console.log(`\n  last lines of ${proc.name}:\n${proc.tail(15).replace(/^/gm, '    ')}`);
  }
}

module.exports = { printReport };
