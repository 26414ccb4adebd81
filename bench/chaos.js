#!/usr/bin/env node
'use strict';
/**
 * Chaos run: the built service (dist/) under load while its processes and its
 * Redis are killed and restarted, then a check that no accepted job was lost,
 * stuck, run past its retries or created twice, and that e-mails were delivered
 * at least once with duplicates bounded by what the failures explain.
 *
 *   npm run chaos                        5,000 jobs at 250/s (~20-30 s of chaos, then drain)
 *   npm run chaos -- --short             500 jobs at 60/s, for the test suite (~20-30 s)
 *   CHAOS_SEED=1234 npm run chaos        replay a run (the seed is printed at start)
 *
 * Options (environment): CHAOS_JOBS (default 5000; 500 with --short), CHAOS_RATE
 * (jobs/s, 250; 60), CHAOS_SEED (a number; random if unset), CHAOS_KILL_INTERVAL_MS
 * (mean time between worker kills, 2000; 1200), CHAOS_REDIS_DOWN_MS (how long Redis
 * stays down, 2500: longer than the lease), CHAOS_SMTP_SHARE (0.2), CHAOS_KEEP=1
 * (keep the temp dir with the Redis data and every process log).
 *
 * Design. Everything runs on this machine against a redis-server this script starts
 * on a free port with AOF persistence (appendonly yes, appendfsync everysec) in a
 * temp dir; the shared Redis on 6379 is never touched. The service runs from a copy
 * of dist/ taken at start (a build elsewhere during the run empties dist/). EMAIL_TRANSPORT and
 * QUEUE_PREFIX are per process, and any worker of a prefix may run any job of that
 * prefix, so per-job delivery checks need every worker of a prefix to use the same
 * transport. Hence two groups on the one Redis, each with its own prefix and API:
 *
 *   sim   QUEUE_PREFIX=chaos-sim   1 API + 3 workers, EMAIL_TRANSPORT=simulated: each
 *         worker process gets its own EMAIL_SIMULATED_DURATION_MS in 5..50 (distinct
 *         from the other running ones), EMAIL_SIMULATED_FAILURE_RATE=0.2.
 *   smtp  QUEUE_PREFIX=chaos-smtp  1 API + 1 worker, EMAIL_TRANSPORT=smtp to an SMTP
 *         peer this script runs (smtp-server): it counts, per X-Job-Id, attempts and
 *         accepted messages; a send takes 5-50 ms and 20 % of attempts get a 451
 *         (temporary, retried), so this group sees the same failure rate.
 *
 * All workers: WORKER_CONCURRENCY=10, JOB_MAX_RETRIES=3, JOB_BACKOFF_BASE_MS=50,
 * JOB_LEASE_MS=1500 (a killed worker's jobs come back within ~2 s),
 * WORKER_SHUTDOWN_TIMEOUT_MS=500. APIs: WORKER_ENABLED=false, RATE_LIMIT_PER_MINUTE=0.
 *
 * The client submits every job over HTTP at a steady rate (a share CHAOS_SMTP_SHARE
 * to the smtp API, the rest to the sim API; priorities high and low half and half),
 * each with its own Idempotency-Key; connection errors, timeouts and 503s are retried
 * with the same key and body until 201 or 200. Meanwhile, seeded: a random running
 * worker (of the 4; one still starting has nothing to lose) is SIGKILLed every
 * ~CHAOS_KILL_INTERVAL_MS and replaced at once; both APIs are SIGKILLed and
 * restarted once (at 35 % of the submissions); Redis is shut down (SIGTERM =
 * SHUTDOWN, the AOF is flushed) at 65 % (and at least 2 s after the APIs are back),
 * stays down CHAOS_REDIS_DOWN_MS, and is started again on the same port and dir
 * from its AOF. Chaos stops once every submission has an answer and both restarts
 * are done; then the queue must drain. A progress line is printed every second.
 *
 * The seed fixes the job mix, the kill times and victims, each worker's send
 * duration and which SMTP attempts get a 451; not the processes' timing, nor the
 * simulated transport's failures (drawn with Math.random inside the service).
 *
 * Checked at the end (exit code 1 if any fails): every accepted job exists (lost 0)
 * and is completed or failed (stuck 0); retry_count <= JOB_MAX_RETRIES; a failed job
 * has last_error and used all its retries (no failure here is permanent); finished
 * jobs hold no lease; the ready lists, delayed and in-flight sets are empty; no job
 * exists that the client was not told about (no Idempotency-Key made two jobs), and
 * every key sent again answers 200 with its first job id; SMTP: every completed job
 * was delivered at least once, and the extra deliveries (beyond one per completed
 * job) are at most SMTP-worker kills x WORKER_CONCURRENCY + jobs recovered in the
 * SMTP group (a duplicate needs an attempt whose result was lost: its worker died,
 * or its lease expired and the job was recovered); no process exited on its own;
 * every process exits 0 on SIGTERM at the end; /health answered 503 while Redis
 * was down. Recoveries are counted from the workers' "Recovered N job(s)" lines.
 * Everything (processes, redis-server, temp dir) is removed on exit, also after an
 * error or Ctrl-C; a hard deadline (10 min, 2 min with --short) ends a stuck run.
 */
const { execFileSync } = require('node:child_process');
const http = require('node:http');
const {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} = require('node:fs');
const os = require('node:os');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { join, resolve } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const Redis = require('ioredis');
const { freePort } = require('./lib/redis');
const { ServiceProcess, killAllSync } = require('./lib/chaos-procs');
const { AofRedisServer } = require('./lib/chaos-redis');
const { CountingSmtpPeer } = require('./lib/smtp-peer');
const { Submitter } = require('./lib/chaos-client');
const { parseSeed, stream, intBetween } = require('./lib/prng');
const checks = require('./lib/chaos-checks');
const { printReport } = require('./lib/chaos-report');

const ROOT = resolve(__dirname, '..');
const SHORT = process.argv.includes('--short');

function numberOption(name, fallback, { min = 0, integer = false } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    console.error(
      `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min} (got "${raw}")`,
    );
    process.exit(2);
  }
  return n;
}

const JOBS = numberOption('CHAOS_JOBS', SHORT ? 500 : 5000, { min: 1, integer: true });
const RATE = numberOption('CHAOS_RATE', SHORT ? 60 : 250, { min: 1 });
const SEED = parseSeed(process.env.CHAOS_SEED);
const KILL_EVERY_MS = numberOption('CHAOS_KILL_INTERVAL_MS', SHORT ? 1200 : 2000, { min: 100 });
const REDIS_DOWN_MS = numberOption('CHAOS_REDIS_DOWN_MS', 2500);
const SMTP_SHARE = numberOption('CHAOS_SMTP_SHARE', 0.2);
const KEEP = process.env.CHAOS_KEEP === '1';
const API_KILL_AT = 0.35;
const REDIS_RESTART_AT = 0.65;
const HARD_DEADLINE_MS = SHORT ? 120_000 : 600_000;
const DRAIN_TIMEOUT_MS = SHORT ? 45_000 : 180_000;

const SERVICE = {
  concurrency: 10,
  maxRetries: 3,
  backoffBaseMs: 50,
  leaseMs: 1500,
  shutdownTimeoutMs: 500,
  failureRate: 0.2,
};
const SIM_WORKERS = 3;
const SMTP_WORKERS = 1;
const MAIL_DOMAIN = 'chaos.test';
const GROUPS = {
  sim: { prefix: 'chaos-sim' },
  smtp: { prefix: 'chaos-smtp' },
};

/** Variables the service reads: the children get ours only, never the caller's. */
const SERVICE_VARIABLES = [
  'API_KEYS',
  'CORS_ORIGINS',
  'DOCS_REQUIRE_KEY',
  'EMAIL_FROM',
  'EMAIL_SIMULATED_DURATION_MS',
  'EMAIL_SIMULATED_FAILURE_RATE',
  'EMAIL_TRANSPORT',
  'HOST',
  'JOB_BACKOFF_BASE_MS',
  'JOB_LEASE_MS',
  'JOB_MAX_RETRIES',
  'JOB_RETENTION_COMPLETED_S',
  'JOB_RETENTION_FAILED_S',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'METRICS_PORT',
  'METRICS_REQUIRE_KEY',
  'PORT',
  'QUEUE_PREFIX',
  'RATE_LIMIT_PER_MINUTE',
  'REDIS_URL',
  'SMTP_URL',
  'WORKER_CONCURRENCY',
  'WORKER_ENABLED',
  'WORKER_SHUTDOWN_TIMEOUT_MS',
];

const t0 = Date.now();
/** This script's own event-loop delay: a late chaos action or progress line shows here. */
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const elapsed = (digits = 1) => ((Date.now() - t0) / 1000).toFixed(digits);
const say = (text) => console.log(`[chaos +${elapsed()}s] ${text}`);

// ---------------------------------------------------------------- clean-up, always

const tmp = mkdtempSync(join(os.tmpdir(), 'jobq-chaos-'));
let redis; // AofRedisServer
let finished = false;

function cleanupSync() {
  killAllSync();
  redis?.killSync();
  if (KEEP) {
    writeLogs();
    console.log(`CHAOS_KEEP=1: kept ${tmp}`);
  } else {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
  }
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`\n${signal} received: stopping every process and removing ${tmp}`);
    process.exit(130);
  });
}

// ---------------------------------------------------------------- state

const state = {
  phase: 'start',
  workerKills: 0,
  skippedKills: 0,
  smtpWorkerKills: 0,
  apiKills: 0,
  apiRestartEvents: 0,
  redisRestarts: 0,
  redisShutdownCodes: [],
  redisDownMs: 0,
  healthDuringOutage: undefined,
  recovered: { sim: 0, smtp: 0 },
  leaseLost: { sim: 0, smtp: 0 },
  completionRefused: 0,
  settleErrors: 0,
  errorLines: [],
  /** Recoveries, lost leases, refused completions: with the time this script read them. */
  notable: [],
  /** Processes that exited without being asked to, or failed to start. */
  unexpectedExits: [],
  /** Exit codes on SIGTERM at the end. */
  finalExits: [],
  allProcs: [],
  timeline: [],
  final: { sim: new Map(), smtp: new Map() }, // id -> final status seen while polling
};

function event(what) {
  state.timeline.push(`+${elapsed()}s ${what}`);
  say(what);
}

/** A service log line (JSON) as `LEVEL message`; other output as it is. */
function logText(line) {
  if (!line.startsWith('{')) return { level: undefined, text: line };
  try {
    const { level, msg, job_id: jobId } = JSON.parse(line);
    return { level, text: `${String(level).toUpperCase()} ${jobId ? `${jobId}: ` : ''}${msg}` };
  } catch {
    return { level: undefined, text: line };
  }
}

function onLine(proc, raw) {
  const { level, text: line } = logText(raw);
  if (
    /Recovered \d+ job|lease lost|completion refused|could not record|Redis reachable again|stalled/i.test(
      line,
    )
  ) {
    state.notable.push(`+${elapsed(3)}s ${proc.name}: ${line}`);
  }
  const m = /Recovered (\d+) job\(s\)/.exec(line);
  if (m) state.recovered[proc.group] += Number(m[1]);
  if (/lease lost/i.test(line)) state.leaseLost[proc.group] += 1;
  if (/completion refused/i.test(line)) state.completionRefused += 1;
  if (/could not record the result/i.test(line)) state.settleErrors += 1;
  if (level === 'error' || level === 'fatal' || /^Start-up failed/.test(line)) {
    state.errorLines.push(`${proc.name}: ${line}`);
  }
}

// ---------------------------------------------------------------- plan (seeded)

function makePlan() {
  const rng = stream(SEED, 'jobs');
  const jobs = [];
  for (let i = 0; i < JOBS; i++) {
    const group = rng() < SMTP_SHARE ? 'smtp' : 'sim';
    const priority = rng() < 0.5 ? 'high' : 'low';
    jobs.push({
      index: i,
      group,
      key: `chaos-${SEED}-${i}`,
      body: {
        job_type: 'send_email',
        priority,
        payload: {
          to: `user${i}@example.com`,
          subject: `chaos #${i}`,
          body: `Chaos run ${SEED}, job ${i}.`,
        },
      },
    });
  }
  const chaos = stream(SEED, 'chaos');
  const kills = [];
  const horizon = (JOBS / RATE) * 1000 + 60_000;
  let at = KILL_EVERY_MS * (0.75 + chaos() * 0.5);
  while (at <= horizon) {
    kills.push({ atMs: Math.round(at), pick: chaos() });
    at += KILL_EVERY_MS * (0.75 + chaos() * 0.5);
  }
  return { jobs, kills };
}

// ---------------------------------------------------------------- processes

const durations = stream(SEED, 'durations');
let redisUrl;
let smtpUrl;
const apiPorts = {};
const apis = {}; // group -> ServiceProcess
const slots = []; // { group, proc, starting }
let processSeq = 0;

function baseEnv(group) {
  const env = { ...process.env };
  for (const name of SERVICE_VARIABLES) delete env[name];
  return {
    ...env,
    NO_COLOR: '1',
    LOG_LEVEL: 'log',
    // Several workers on this host: none serves metrics (each would need its own port).
    METRICS_PORT: '0',
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: GROUPS[group].prefix,
    WORKER_CONCURRENCY: String(SERVICE.concurrency),
    JOB_MAX_RETRIES: String(SERVICE.maxRetries),
    JOB_BACKOFF_BASE_MS: String(SERVICE.backoffBaseMs),
    JOB_LEASE_MS: String(SERVICE.leaseMs),
    WORKER_SHUTDOWN_TIMEOUT_MS: String(SERVICE.shutdownTimeoutMs),
    JOB_RETENTION_COMPLETED_S: '0',
    JOB_RETENTION_FAILED_S: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    EMAIL_FROM: `Chaos <chaos@${MAIL_DOMAIN}>`,
    ...(group === 'smtp'
      ? { EMAIL_TRANSPORT: 'smtp', SMTP_URL: smtpUrl }
      : {
          EMAIL_TRANSPORT: 'simulated',
          EMAIL_SIMULATED_FAILURE_RATE: String(SERVICE.failureRate),
        }),
  };
}

/** Starts `proc`; an exit nobody asked for is recorded and, while the run goes on, repaired. */
function launch(proc, replace) {
  state.allProcs.push(proc);
  const ready = proc.start().then(
    () => true,
    (error) => {
      if (!proc.expectedExit) {
        state.unexpectedExits.push(`${proc.name} did not start: ${error.message.split('\n')[0]}`);
      }
      return false;
    },
  );
  void ready.then((ok) => {
    if (!ok) return;
    void proc.exited.then(({ code, signal }) => {
      if (proc.expectedExit) return;
      state.unexpectedExits.push(
        `${proc.name} (pid ${proc.pid}) exited on its own: ${code ?? signal}`,
      );
      if (!finished) {
        event(`${proc.name} exited on its own (${code ?? signal}): starting a replacement`);
        replace();
      }
    });
  });
  return ready;
}

function startApi(group) {
  const proc = new ServiceProcess({
    name: `api-${group}-${++processSeq}`,
    group,
    kind: 'api',
    script: join(tmp, 'dist', 'main.js'),
    cwd: tmp,
    env: {
      ...baseEnv(group),
      WORKER_ENABLED: 'false',
      PORT: String(apiPorts[group]),
      HOST: '127.0.0.1',
    },
    ready: /API listening/,
    onLine,
    clock: () => `+${elapsed(3)}s`,
  });
  apis[group] = proc;
  return launch(proc, () => void startApi(group));
}

function startWorker(slot) {
  const env = baseEnv(slot.group);
  let duration;
  if (slot.group === 'sim') {
    const taken = new Set(
      slots.filter((s) => s !== slot && s.proc?.running).map((s) => s.proc.duration),
    );
    do duration = intBetween(durations, 5, 50);
    while (taken.has(duration));
    env.EMAIL_SIMULATED_DURATION_MS = String(duration);
  }
  const proc = new ServiceProcess({
    name: `w-${slot.group}-${++processSeq}`,
    group: slot.group,
    kind: 'worker',
    script: join(tmp, 'dist', 'worker.js'),
    cwd: tmp,
    env,
    ready: /Worker \S+ started/,
    onLine,
    clock: () => `+${elapsed(3)}s`,
  });
  proc.duration = duration;
  slot.proc = proc;
  slot.starting = launch(proc, () => void startWorker(slot));
  return slot.starting;
}

// ---------------------------------------------------------------- chaos actions

async function killWorkers(plan, submitter, done) {
  for (const kill of plan.kills) {
    while (!done.value && Date.now() < submitter.startedAt + kill.atMs) await sleep(20);
    if (done.value) return;
    // A worker that is running jobs: one still starting has nothing to lose yet.
    const ready = slots.filter((s) => s.proc.state === 'ready');
    if (ready.length === 0) {
      state.skippedKills += 1;
      event('no worker ready: kill skipped');
      continue;
    }
    const slot = ready[Math.floor(kill.pick * ready.length)];
    const victim = slot.proc;
    await victim.kill();
    state.workerKills += 1;
    if (slot.group === 'smtp') state.smtpWorkerKills += 1;
    event(
      `SIGKILL ${victim.name} (pid ${victim.pid}, up ${((Date.now() - victim.readyAt) / 1000).toFixed(1)} s); replacing it`,
    );
    void startWorker(slot);
  }
}

async function restartApis() {
  const previous = state.phase;
  state.phase = 'api-restart';
  const victims = Object.values(apis);
  await Promise.all(victims.map((proc) => proc.kill()));
  state.apiKills += victims.length;
  state.apiRestartEvents += 1;
  event(`SIGKILL ${victims.map((p) => `${p.name} (pid ${p.pid})`).join(' and ')}; restarting them`);
  const ok = await Promise.all(Object.keys(apis).map((group) => startApi(group)));
  event(`APIs back (${ok.every(Boolean) ? 'ready' : 'NOT ready'})`);
  state.phase = previous;
}

/** GET /health on the sim API: { status, ms } or { error, ms }. */
function probeHealth(timeoutMs = 3000) {
  const started = Date.now();
  return new Promise((resolveProbe) => {
    const req = http.get(
      { host: '127.0.0.1', port: apiPorts.sim, path: '/health', timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolveProbe({ status: res.statusCode, ms: Date.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolveProbe({ error: error.message, ms: Date.now() - started }));
  });
}

async function restartRedis() {
  const previous = state.phase;
  state.phase = 'redis-down';
  event('Redis SHUTDOWN (SIGTERM: the AOF is flushed)');
  const exit = await redis.shutdown();
  const down = Date.now();
  state.redisShutdownCodes.push(exit?.code ?? exit?.signal);
  event(`redis-server exited (${exit?.code ?? exit?.signal})`);
  const stayDown = sleep(REDIS_DOWN_MS);
  await sleep(300);
  state.healthDuringOutage = await probeHealth();
  await stayDown;
  event('redis-server starting again (same port, same dir: loads the AOF)');
  await redis.start();
  state.redisRestarts += 1;
  state.redisDownMs = Date.now() - down;
  event(`Redis answers PING again, ${state.redisDownMs} ms after it exited`);
  state.phase = previous;
}

/**
 * The API restart and the Redis restart, at 35 % and 65 % of the submissions
 * launched; both always happen, also when the submissions are all answered first.
 */
async function runScheduledChaos(plan, submitter) {
  const jobs = plan.jobs.length;
  const waitFor = async (fraction) => {
    while (submitter.launched < Math.ceil(jobs * fraction)) await sleep(10);
  };
  await waitFor(API_KILL_AT);
  await restartApis();
  // Not while the APIs are still catching up: one outage at a time.
  const notBefore = Date.now() + 2000;
  await waitFor(REDIS_RESTART_AT);
  while (Date.now() < notBefore) await sleep(10);
  await restartRedis();
}

// ---------------------------------------------------------------- progress

let monitor; // ioredis client of this script
let polling = false;

async function pollFinal(submitter, plan) {
  if (polling || !redis.running) return;
  polling = true;
  try {
    for (const group of Object.keys(GROUPS)) {
      const open = [];
      for (const [index, id] of submitter.jobIds) {
        if (plan.jobs[index].group === group && !state.final[group].has(id)) open.push(id);
      }
      if (open.length === 0) continue;
      const statuses = await checks.readStatuses(monitor, GROUPS[group].prefix, open);
      for (const [id, status] of statuses) {
        if (checks.FINAL.has(status)) state.final[group].set(id, status);
      }
    }
  } catch {
    // Redis away: the next tick tries again
  } finally {
    polling = false;
  }
}

function counts() {
  let completed = 0;
  let failed = 0;
  for (const group of Object.values(state.final)) {
    for (const status of group.values()) {
      if (status === 'completed') completed += 1;
      else failed += 1;
    }
  }
  return { completed, failed };
}

function progressLine(submitter) {
  const { completed, failed } = counts();
  const up = slots.filter((s) => s.proc?.state === 'ready').length;
  say(
    [
      `${state.phase.padEnd(11)}`,
      `submitted ${submitter.launched}/${JOBS}`,
      `accepted ${submitter.accepted}`,
      `completed ${completed}`,
      `failed ${failed}`,
      `kills ${state.workerKills}`,
      `api-restarts ${state.apiRestartEvents}`,
      `redis-restarts ${state.redisRestarts}`,
      `workers up ${up}/${slots.length}`,
      `retrying ${submitter.inFlight}`,
    ].join('  '),
  );
}

// ---------------------------------------------------------------- main

function machine() {
  const cpus = os.cpus();
  return `${os.availableParallelism?.() ?? cpus.length} CPU(s), ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`;
}

function reproduceCommand() {
  const vars = [`CHAOS_SEED=${SEED}`];
  for (const name of [
    'CHAOS_JOBS',
    'CHAOS_RATE',
    'CHAOS_KILL_INTERVAL_MS',
    'CHAOS_REDIS_DOWN_MS',
    'CHAOS_SMTP_SHARE',
  ]) {
    if (process.env[name]) vars.push(`${name}=${process.env[name]}`);
  }
  return `${vars.join(' ')} npm run chaos${SHORT ? ' -- --short' : ''}`;
}

function redisVersion() {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1];
  } catch {
    return 'unknown';
  }
}

function writeLogs() {
  const dir = join(tmp, 'logs');
  mkdirSync(dir, { recursive: true });
  for (const proc of state.allProcs) {
    writeFileSync(join(dir, `${proc.name}.log`), `${proc.lines.join('\n')}\n`);
  }
  writeFileSync(join(dir, 'timeline.log'), `${state.timeline.join('\n')}\n`);
}

async function main() {
  const hardDeadline = setTimeout(() => {
    console.log(`\nHARD DEADLINE: the run did not finish within ${HARD_DEADLINE_MS / 1000} s.`);
    process.exit(1);
  }, HARD_DEADLINE_MS);
  hardDeadline.unref();

  const plan = makePlan();
  const smtpJobs = plan.jobs.filter((j) => j.group === 'smtp').length;
  const high = plan.jobs.filter((j) => j.body.priority === 'high').length;
  console.log(`Chaos run${SHORT ? ' (--short)' : ''}: seed ${SEED}`);
  console.log(`  replay with: ${reproduceCommand()}`);
  console.log(
    `  ${JOBS} jobs at ${RATE}/s (${JOBS - smtpJobs} simulated, ${smtpJobs} SMTP; ${high} high, ${JOBS - high} low); ` +
      `a worker killed every ~${KILL_EVERY_MS} ms; APIs killed at ${API_KILL_AT * 100} %, ` +
      `Redis down ${REDIS_DOWN_MS} ms at ${REDIS_RESTART_AT * 100} % of submissions`,
  );
  console.log(`  machine: ${machine()}; node ${process.version}; redis ${redisVersion()}`);
  console.log(`  temp dir: ${tmp}\n`);

  // The service runs from a copy of dist/ taken now, so that a build started
  // elsewhere during the run (nest build empties dist/) cannot break it.
  for (const file of ['main.js', 'worker.js']) {
    if (!existsSync(join(ROOT, 'dist', file))) {
      throw new Error(`dist/${file} not found: build first (npm run build), or use npm run chaos`);
    }
  }
  cpSync(join(ROOT, 'dist'), join(tmp, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');

  // Redis (AOF), the SMTP peer, the APIs and the workers.
  const redisDir = join(tmp, 'redis');
  mkdirSync(redisDir);
  redis = new AofRedisServer({ port: await freePort(), dir: redisDir });
  await redis.start();
  redisUrl = redis.url;
  monitor = new Redis(redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 100,
    protocol: 2,
  });
  monitor.on('error', () => undefined);
  const peer = new CountingSmtpPeer({
    seed: SEED,
    failureRate: SERVICE.failureRate,
    messageIdDomain: MAIL_DOMAIN,
  });
  await peer.listen(await freePort());
  smtpUrl = `smtp://127.0.0.1:${peer.port}`;
  say(`redis-server on ${redis.port} (AOF in ${redisDir}); SMTP peer on ${peer.port}`);

  for (const group of Object.keys(GROUPS)) apiPorts[group] = await freePort();
  for (let i = 0; i < SIM_WORKERS; i++) slots.push({ group: 'sim' });
  for (let i = 0; i < SMTP_WORKERS; i++) slots.push({ group: 'smtp' });
  const started = await Promise.all([
    ...Object.keys(GROUPS).map((group) => startApi(group)),
    ...slots.map((slot) => startWorker(slot)),
  ]);
  if (!started.every(Boolean))
    throw new Error(`a process did not start:\n${state.unexpectedExits.join('\n')}`);
  say(
    `started: APIs on ${apiPorts.sim} (sim) and ${apiPorts.smtp} (smtp); workers ${slots
      .map((s) => `${s.proc.name}${s.proc.duration ? ` (${s.proc.duration} ms)` : ''}`)
      .join(', ')}`,
  );

  // Submit while killing.
  const submitter = new Submitter({
    jobs: plan.jobs,
    targets: {
      sim: `http://127.0.0.1:${apiPorts.sim}`,
      smtp: `http://127.0.0.1:${apiPorts.smtp}`,
    },
    rate: RATE,
    rng: stream(SEED, 'jitter'),
    deadline: t0 + HARD_DEADLINE_MS - DRAIN_TIMEOUT_MS - 30_000,
  });
  const ticker = setInterval(() => {
    void pollFinal(submitter, plan).then(() => progressLine(submitter));
  }, 1000);
  state.phase = 'submit';
  // Worker kills go on until every submission has its answer and both restarts are done.
  const done = { value: false };
  const submitting = submitter.run();
  const killing = killWorkers(plan, submitter, done);
  await Promise.all([
    submitting.then(() =>
      event(`all ${JOBS} submissions answered (${submitter.accepted} accepted)`),
    ),
    runScheduledChaos(plan, submitter),
  ]);
  done.value = true;
  await killing;
  const submitSeconds = (submitter.finishedAt - submitter.startedAt) / 1000;
  event('chaos stops');

  // Drain: every worker slot running, every accepted job finished, no key left in a queue.
  state.phase = 'drain';
  await Promise.all(slots.map((slot) => slot.starting));
  const drainDeadline = Math.min(Date.now() + DRAIN_TIMEOUT_MS, t0 + HARD_DEADLINE_MS - 30_000);
  let drained = false;
  let queues = {};
  while (Date.now() < drainDeadline) {
    await pollFinal(submitter, plan);
    const { completed, failed } = counts();
    try {
      for (const [group, { prefix }] of Object.entries(GROUPS)) {
        queues[group] = await checks.queueCounts(monitor, prefix);
      }
      const empty = Object.values(queues).every(
        (q) => q.high + q.low + q.delayed + q.inflight === 0,
      );
      if (empty && completed + failed === submitter.accepted) {
        drained = true;
        break;
      }
    } catch {
      // Redis not reachable yet: try again
    }
    await sleep(200);
  }
  const drainedAt = Date.now();
  event(drained ? 'queue drained' : `queue NOT drained within ${DRAIN_TIMEOUT_MS / 1000} s`);
  clearInterval(ticker);
  progressLine(submitter);

  // Read everything back.
  state.phase = 'check';
  const results = {};
  const accepted = { sim: [], smtp: [] };
  for (const [index, id] of submitter.jobIds)
    accepted[plan.jobs[index].group].push({ job: plan.jobs[index], id });
  const orphanFields = new Map();
  for (const [group, { prefix }] of Object.entries(GROUPS)) {
    const ids = accepted[group].map((a) => a.id);
    const jobs = await checks.readJobs(monitor, prefix, ids);
    const scanned = await checks.scanJobIds(monitor, prefix);
    const { r, byIndex, acceptedIds } = checks.checkGroup({
      accepted: accepted[group],
      jobs,
      scanned,
      maxRetries: SERVICE.maxRetries,
    });
    const orphans = await checks.readJobs(monitor, prefix, r.orphans);
    for (const [id, fields] of orphans) orphanFields.set(id, fields);
    r.doubleJobs = checks.doubleJobs(orphans, byIndex);
    r.acceptedIds = acceptedIds;
    r.jobs = jobs;
    r.queues = await checks.queueCounts(monitor, prefix);
    r.idempotencyKeys = await checks.countKeys(monitor, `${prefix}:idempotency:*`);
    results[group] = r;
  }
  const deliveries = checks.checkDeliveries({
    acceptedIds: results.smtp.acceptedIds,
    statusOf: results.smtp.statusOf,
    peer,
    smtpKills: state.smtpWorkerKills,
    concurrency: SERVICE.concurrency,
    smtpRecovered: state.recovered.smtp,
  });
  say('sending every accepted request again (same Idempotency-Key, same body)');
  const replay = await submitter.replayAll();

  // Stop everything the clean way: each service process must exit 0 on SIGTERM.
  state.phase = 'stop';
  finished = true;
  const running = [...slots.map((s) => s.proc), ...Object.values(apis)].filter((p) => p.running);
  const exits = await Promise.all(
    running.map(async (proc) => ({
      proc,
      exit: await proc.terminate(SERVICE.shutdownTimeoutMs + 10_000),
    })),
  );
  for (const { proc, exit } of exits) {
    state.finalExits.push({
      name: proc.name,
      code: exit.code,
      signal: exit.signal,
      timedOut: exit.timedOut,
    });
  }
  submitter.close();
  monitor.disconnect();
  const redisFinal = await redis.shutdown();
  await peer.close();
  const totalSeconds = (Date.now() - t0) / 1000;

  return printReport({
    seed: SEED,
    jobs: JOBS,
    service: SERVICE,
    groups: Object.keys(GROUPS),
    reproduce: reproduceCommand(),
    submitter,
    results,
    deliveries,
    peer,
    replay,
    state,
    redis,
    redisFinal,
    drained,
    seconds: {
      submit: submitSeconds,
      drain: (drainedAt - submitter.finishedAt) / 1000,
      total: totalSeconds,
    },
    loopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`\nChaos run aborted: ${error.stack ?? error}`);
    console.error(`seed ${SEED}; replay: ${reproduceCommand()}`);
    process.exit(1);
  },
);
