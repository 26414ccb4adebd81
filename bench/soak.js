#!/usr/bin/env node
'use strict';
/**
 * Soak run: the built service under a steady open-loop load for a long time, watching
 * every process's memory, Redis's memory and the latency for growth, and checking at
 * the end that no accepted job was lost.
 *
 *   npm run soak                           10 min at 500 submits/s (builds first)
 *   npm run soak -- --minutes 60           the published run
 *   npm run soak -- --beside bullmq        the same soak against BullMQ at the same time
 *   node bench/soak.js --help              every flag and its default
 *
 * Per system, on a redis-server of its own (free port, temp dir, no persistence):
 * an API (this service: `node dist/main.js` with WORKER_ENABLED=false; BullMQ: a
 * node:http server calling queue.add) and --workers worker processes, each started
 * with bench/lib/soak-probe.js preloaded so it can report its V8 heap over IPC. A
 * load process (bench/lib/soak-load.js) sends POST /submit-job at --rate on a fixed
 * timetable plus a status read every --status-every submits; latency counts from
 * each request's due time. After --warmup-s seconds of load, every --sample-s
 * seconds: RSS (/proc, every second) and heap of every process, Redis used_memory and
 * DBSIZE, submit and end-to-end latency, completions. Each accepted job is looked up
 * until it is completed or failed (soak-tracker.js).
 *
 * Exits 0 when the judged system (this service, or --system's) passes every check,
 * 1 when a check fails, 2 on a bad flag or when the run cannot start. The checks:
 * every memory series' slope (each process's RSS, heap after a full collection, Redis
 * used_memory) after the first 5 minutes (second half of a run under 10 minutes) at most
 * --max-slope-mb-h; the submit p99 of the last third at most --max-p99-drift above
 * the first third's; no job lost or unverifiable; every measured submit answered
 * 201; no process exited during the run. Reports: <out>.json and <out>.md.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { dirname, join, relative } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { redisVersion, usedMemory } = require('./lib/redis');
const { startNode, stop, killAll } = require('./lib/procs');
const { versions } = require('./lib/machine');
const { Histogram } = require('./lib/soak-histogram');
const { parseOptions, UsageError } = require('./lib/soak-options');
const { MB } = require('./lib/soak-memory');
const { JobTracker } = require('./lib/soak-tracker');
const report = require('./lib/soak-report');

const LOAD = join(__dirname, 'lib', 'soak-load.js');
const REQUEST_TIMEOUT_MS = 30000;
const RSS_POLL_MS = 1000;

const log = (...args) => console.error('[soak]', ...args);

/** Machine-wide idle share since the previous call, from the CPU times of all cores. */
function idleMeter() {
  const totals = () =>
    os.cpus().reduce(
      (acc, { times }) => {
        acc.idle += times.idle;
        acc.all += times.user + times.nice + times.sys + times.idle + times.irq;
        return acc;
      },
      { idle: 0, all: 0 },
    );
  let previous = totals();
  return () => {
    const now = totals();
    const idlePct = ((now.idle - previous.idle) / (now.all - previous.all)) * 100;
    previous = now;
    return idlePct;
  };
}

/** Starts a system and its load process; wires accepted ids into its tracker. */
async function prepare(kind, o) {
  // Both need the built service (dist/): loaded once the flags are known to be good.
  const { PAYLOAD } = require('./lib/systems');
  const { startSystem } = require('./lib/soak-systems');
  const system = await startSystem(kind, o);
  const load = await startNode(
    [
      LOAD,
      JSON.stringify({
        baseUrl: system.baseUrl,
        rate: o.rate,
        durationMs: (o.warmupS + o.minutes * 60) * 1000,
        highShare: o.highShare,
        statusEvery: o.statusEvery,
        payload: PAYLOAD,
        timeoutMs: REQUEST_TIMEOUT_MS,
      }),
    ],
    {},
    /soak load ready/,
    { ipc: true },
  );
  const tracker = new JobTracker(system.readStates, { retentionMs: o.retentionS * 1000 });
  const run = {
    kind,
    label: system.label,
    system,
    load,
    tracker,
    processNames: system.processes.map((p) => p.name),
    samples: [],
    windows: [],
    submitted: 0,
    warmup: { submitted: 0, submitErrors: {}, statusErrors: {} },
    submitErrors: {},
    statusErrors: {},
    windowReplies: [],
  };
  run.done = new Promise((resolve) => {
    load.on('message', (message) => {
      if (message.type === 'accepted') tracker.add(message.ids, message.at);
      else if (message.type === 'window') run.windowReplies.shift()?.resolve(message);
      else if (message.type === 'done') resolve();
    });
  });
  load.once('exit', (code, signal) => {
    const error = new Error(`the load process exited (${code ?? signal})`);
    for (const reply of run.windowReplies.splice(0)) reply.reject(error);
  });
  return run;
}

function askWindow(run) {
  return new Promise((resolve, reject) => {
    if (run.load.exitCode !== null || run.load.signalCode !== null) {
      reject(new Error('the load process exited'));
      return;
    }
    run.windowReplies.push({ resolve, reject });
    run.load.send({ type: 'window' });
  });
}

function addErrors(into, errors) {
  for (const [key, n] of Object.entries(errors)) into[key] = (into[key] ?? 0) + n;
  return Object.values(errors).reduce((a, b) => a + b, 0);
}

/** One sample of one system: memory of every process and of Redis, the window's traffic. */
async function takeSample(run, t, windowS, machine) {
  const [processes, usedBytes, keys, win] = await Promise.all([
    Promise.all(run.system.processes.map((p) => p.sample())),
    usedMemory(run.system.redis.client),
    run.system.redis.client.dbsize(),
    askWindow(run),
  ]);
  const jobs = run.tracker.takeWindow();
  const hist = {
    submit: Histogram.from(win.submit.latency),
    status: Histogram.from(win.status.latency),
    e2e: jobs.e2e,
  };
  run.submitted += win.submit.sent;
  const traffic = (part, h, errorsInto) => ({
    sent: part.sent,
    ok: part.ok,
    errors: addErrors(errorsInto, part.errors),
    p50: h.percentile(50),
    p99: h.percentile(99),
  });
  const sample = {
    t,
    windowS,
    machine,
    processes: Object.fromEntries(run.system.processes.map((p, i) => [p.name, processes[i]])),
    redis: { usedMemoryMb: usedBytes / MB, keys },
    submit: traffic(win.submit, hist.submit, run.submitErrors),
    status: traffic(win.status, hist.status, run.statusErrors),
    e2e: { count: jobs.e2e.count, p50: jobs.e2e.percentile(50), p99: jobs.e2e.percentile(99) },
    completedPerS: jobs.completed / windowS,
    failedPerS: jobs.failed / windowS,
    load: {
      sendLagP99Ms: win.sendLagP99Ms,
      maxSendLagMs: win.maxSendLagMs,
      inFlight: win.inFlight,
    },
    trackerPending: run.tracker.pending,
  };
  run.samples.push(sample);
  run.windows.push(hist);
  return sample;
}

/**
 * The warm-up: load at the full rate for --warmup-s while the processes compile their
 * hot paths, not sampled; its jobs are checked like all others, its errors reported
 * apart.
 */
async function warmUp(runs, o) {
  if (o.warmupS === 0) return;
  await sleep(o.warmupS * 1000);
  await Promise.all(
    runs.map(async (r) => {
      const win = await askWindow(r);
      r.tracker.takeWindow();
      r.warmup.submitted = win.submit.sent;
      addErrors(r.warmup.submitErrors, win.submit.errors);
      addErrors(r.warmup.statusErrors, win.status.errors);
    }),
  );
}

/** Samples every sampleS from `startedAt` until every load process has had all its answers. */
async function sampleUntilDone(runs, o, startedAt, idle, onSample) {
  const allDone = Promise.all(runs.map((r) => r.done));
  let finished = false;
  void allDone.then(() => (finished = true));
  const hardStop = startedAt + o.minutes * 60000 + REQUEST_TIMEOUT_MS + 30000;
  let previousAt = startedAt;
  for (let k = 1; ; k++) {
    const dueAt = startedAt + k * o.sampleS * 1000;
    await Promise.race([sleep(Math.max(0, dueAt - Date.now())), allDone]);
    const now = Date.now();
    if (finished && now - previousAt < 500 && runs[0].samples.length > 0) break;
    const machine = { loadavg1: os.loadavg()[0], idlePct: idle() };
    const t = (now - startedAt) / 1000;
    const windowS = (now - previousAt) / 1000;
    previousAt = now;
    const samples = await Promise.all(runs.map((r) => takeSample(r, t, windowS, machine)));
    samples.forEach((s, i) => onSample(runs[i], s));
    if (finished) break;
    if (now > hardStop) {
      // The machine cannot keep up (every request times out after 30 s, so only a
      // starved load process is this late): report what was measured, as a failure.
      for (const r of runs) r.loadLate = true;
      log('the load did not finish on time: stopping it');
      break;
    }
    // A slow sample must not shift the timetable: skip the sample times already past.
    while (startedAt + (k + 1) * o.sampleS * 1000 < Date.now()) k++;
  }
}

/** How this run was started, for the report. */
function commandLine() {
  const args = process.argv.slice(2).join(' ');
  if (process.env.npm_lifecycle_event === 'soak') return `npm run soak${args ? ` -- ${args}` : ''}`;
  return `node ${relative(process.cwd(), join(__dirname, 'soak.js'))} ${args}`.trim();
}

function writeReports(out, result) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${out}.md`, `${report.markdown(result)}\n`);
}

/** The report: options, machine, and per system its samples, RSS points and verdict. */
function collectResult(runs, o, machine) {
  const result = { command: commandLine(), options: o, machine, judged: o.systems[0], systems: {} };
  for (const r of runs) {
    r.jobs = r.tracker.totals;
    r.lostIds = r.tracker.lostIds;
    r.unverifiedIds = r.tracker.unverifiedIds;
    r.exits = r.system.exits;
    r.loadLate ??= false;
    r.rssPoints = Object.fromEntries(r.system.processes.map((p) => [p.name, p.rssPoints]));
    const rounded = (points) =>
      points.map(([t, mb]) => [Math.round(t * 10) / 10, Math.round(mb * 10) / 10]);
    result.systems[r.kind] = {
      kind: r.kind,
      label: r.label,
      summary: report.analyse(r, o),
      samples: r.samples,
      rssEverySecond: Object.fromEntries(
        Object.entries(r.rssPoints).map(([name, points]) => [name, rounded(points)]),
      ),
    };
  }
  result.comparison = report.comparison(result);
  result.pass = result.systems[result.judged].summary.pass;
  return result;
}

function printResult(result) {
  console.log('');
  console.log(report.summaryTables(result));
  for (const r of Object.values(result.systems)) {
    console.log(`\nChecks, ${r.label}${r.kind === result.judged ? '' : ' (shown, not judged)'}:`);
    console.log(report.checksTable(r));
  }
  if (result.comparison) {
    console.log('\nBeside BullMQ:');
    console.log(report.comparisonTable(result.comparison));
  }
  console.log(`\nRESULT: ${result.pass ? 'PASS' : 'FAIL'}`);
}

async function main(o) {
  const runs = [];
  const cleanup = () => {
    for (const r of runs) void r.system.redis.stop();
  };
  process.on('exit', cleanup);
  try {
    for (const kind of o.systems) {
      log(`starting ${kind}: redis-server, API, ${o.workers} workers, load`);
      runs.push(await prepare(kind, o));
    }
    const m = versions();
    m.redis = await redisVersion(runs[0].system.redis.client);
    m.loadavgStart = os.loadavg();
    const idle = idleMeter();
    const header = report.sampleHeader(o.workers);
    console.log(header);
    let lines = 0;
    for (const r of runs) {
      r.load.send({ type: 'start' });
      r.tracker.start();
    }
    if (o.warmupS > 0) log(`warming up for ${o.warmupS} s (not sampled)`);
    await warmUp(runs, o);
    idle();
    const startedAt = Date.now();
    const rssPoll = setInterval(() => {
      const t = (Date.now() - startedAt) / 1000;
      for (const r of runs) for (const p of r.system.processes) void p.pollRss(t);
    }, RSS_POLL_MS);
    await sampleUntilDone(runs, o, startedAt, idle, (r, s) => {
      if (lines > 0 && lines % 30 === 0) console.log(header);
      console.log(report.sampleLine(o.workers, r.label, s));
      lines += 1;
    }).finally(() => clearInterval(rssPoll));
    m.loadavgEnd = os.loadavg();
    m.idlePctMean =
      runs[0].samples.reduce((sum, s) => sum + s.machine.idlePct, 0) / runs[0].samples.length;
    for (const r of runs) if (r.loadLate) await stop(r.load);
    log(`load done; waiting up to ${o.drainS} s for the last jobs to finish`);
    await Promise.all(runs.map((r) => r.tracker.drain(o.drainS * 1000)));

    const result = collectResult(runs, o, m);
    writeReports(o.out, result);
    printResult(result);
    log(`written to ${o.out}.json and ${o.out}.md`);
    return result.pass ? 0 : 1;
  } finally {
    for (const r of runs) {
      await r.tracker.running?.stop();
      await stop(r.load);
      await r.system.stop();
    }
    process.off('exit', cleanup);
  }
}

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`${error.message}\n\nSee node bench/soak.js --help`);
  process.exit(2);
}
if (options.help) {
  console.log(options.help);
  process.exit(0);
}
main(options)
  .then((code) => {
    killAll();
    process.exit(code);
  })
  .catch((error) => {
    console.error(error);
    killAll();
    process.exit(2);
  });
