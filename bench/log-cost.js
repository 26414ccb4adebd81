#!/usr/bin/env node
'use strict';
/**
 * What logging at the default level costs: LOG_LEVEL=info (one line per request, no
 * line per successful job) against LOG_LEVEL=error (almost nothing), for this
 * service's HTTP submit (POST /submit-job, 50 in flight) and drain (one worker
 * process, WORKER_CONCURRENCY=50, no-op jobs).
 *
 * Both processes of a pair run side by side on one redis-server and take turns in
 * short rounds (A B, B A, ...), so that a shared machine's noise hits both alike;
 * each round records throughput and the process's own CPU time per request or job.
 * The cost is the median over rounds of info against error. Output is read by this
 * process and dropped, as a log collector would read it.
 *
 *   npm run -s build && node bench/log-cost.js
 *   LOGCOST_ROUNDS=20 LOGCOST_ROUND_MS=2000 LOGCOST_N=5000 node bench/log-cost.js
 */
const { execFile, execFileSync, spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { promisify } = require('node:util');
const { freePort, startRedisServer } = require('./lib/redis');
const { median, summary } = require('./lib/stats');
const { jobq, PAYLOAD } = require('./lib/systems');
const { timedDrain } = require('./lib/drain');

const ROUNDS = Number(process.env.LOGCOST_ROUNDS ?? 12);
const ROUND_MS = Number(process.env.LOGCOST_ROUND_MS ?? 2000);
const N = Number(process.env.LOGCOST_N ?? 5000);
const C = 50;
const LEVELS = ['info', 'error'];

const log = (...args) => console.error('[log-cost]', ...args);
const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const children = new Set();
const killAll = () => children.forEach((child) => child.kill('SIGKILL'));

/** CPU seconds (user + system) a process has used so far (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

/**
 * Starts `node dist/<script>` and resolves once `probe` answers 200 (at
 * LOG_LEVEL=error the start-up lines are not printed). Its output is read and dropped.
 */
async function startProbed(script, env, probe) {
  const child = spawn(process.execPath, [join(__dirname, '..', 'dist', script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout.resume();
  child.stderr.resume();
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}`);
    const ok = await fetch(probe).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`${script} not ready at ${probe}`);
    await sleep(50);
  }
}

/** Closed-loop load on one API for `durationMs` (in its own process, asynchronously). */
async function load(port, durationMs) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(__dirname, 'lib', 'http-load.js'),
      JSON.stringify({
        url: `http://127.0.0.1:${port}/submit-job`,
        body: { job_type: 'send_email', priority: 'high', payload: PAYLOAD },
        concurrency: C,
        durationMs,
        warmupMs: 0,
      }),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(stdout);
}

async function submitRounds(redis) {
  const apis = {};
  for (const level of LEVELS) {
    const port = await freePort();
    const system = jobq(redis.url, `submit-${level}`);
    const child = await startProbed(
      'main.js',
      { ...system.apiEnv, LOG_LEVEL: level, PORT: String(port), HOST: '127.0.0.1' },
      `http://127.0.0.1:${port}/health/ready`,
    );
    system.close();
    apis[level] = { port, child };
    await load(port, 1000); // warm-up
  }
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const level of r % 2 === 0 ? LEVELS : [...LEVELS].reverse()) {
      const { port, child } = apis[level];
      const cpu0 = cpuSeconds(child.pid);
      const result = await load(port, ROUND_MS);
      round[level] = {
        rate: result.rate,
        cpuUs: ((cpuSeconds(child.pid) - cpu0) / result.completed) * 1e6,
      };
    }
    log(
      `submit round ${r + 1}/${ROUNDS}: ${LEVELS.map((l) => `${l} ${Math.round(round[l].rate)}/s`).join(', ')}`,
    );
    rounds.push(round);
  }
  for (const { child } of Object.values(apis)) child.kill('SIGKILL');
  return rounds;
}

async function drainRounds(redis) {
  const workers = {};
  for (const level of LEVELS) {
    const metricsPort = await freePort();
    const env = { LOG_LEVEL: level, METRICS_PORT: String(metricsPort), HOST: '127.0.0.1' };
    const system = jobq(redis.url, `drain-${level}`, env);
    const child = await startProbed(
      'worker.js',
      {
        ...env,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: system.prefix,
        WORKER_CONCURRENCY: String(C),
        EMAIL_TRANSPORT: 'simulated',
        EMAIL_SIMULATED_DURATION_MS: '0',
        EMAIL_SIMULATED_FAILURE_RATE: '0',
      },
      `http://127.0.0.1:${metricsPort}/health/ready`,
    );
    workers[level] = { system, child };
  }
  // The same timed drain as `npm run bench` (bench/lib/drain.js): the worker is frozen
  // while the queue fills, so it starts on exactly N jobs when the clock starts.
  const drainOnce = async ({ system, child }) => {
    const { rate, workerCpuUs } = await timedDrain(redis, system, [child], N);
    return { rate, cpuUs: workerCpuUs };
  };
  for (const level of LEVELS) await drainOnce(workers[level]); // warm-up
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const level of r % 2 === 0 ? LEVELS : [...LEVELS].reverse()) {
      round[level] = await drainOnce(workers[level]);
    }
    log(
      `drain round ${r + 1}/${ROUNDS}: ${LEVELS.map((l) => `${l} ${Math.round(round[l].rate)}/s`).join(', ')}`,
    );
    rounds.push(round);
  }
  for (const { system, child } of Object.values(workers)) {
    child.kill('SIGKILL');
    system.close();
  }
  return rounds;
}

function rows(label, unit, cpuUnit, rounds) {
  const row = (field, name, digits, lowerIsBetter) => {
    const values = (level) => rounds.map((round) => round[level][field]);
    // Per round, info against error: the noise both saw in that round cancels out.
    const costs = rounds.map((round) =>
      lowerIsBetter
        ? round.info[field] / round.error[field] - 1
        : 1 - round.info[field] / round.error[field],
    );
    return `| ${label} (${name}) | ${summary(values('info'), digits).text} | ${summary(values('error'), digits).text} | ${(median(costs) * 100).toFixed(1)} % |`;
  };
  return [row('rate', unit, 0, false), row('cpuUs', cpuUnit, 1, true)];
}

async function main() {
  const redis = await startRedisServer();
  let submit;
  let drain;
  try {
    submit = await submitRounds(redis);
    drain = await drainRounds(redis);
  } finally {
    await redis.stop();
  }
  console.log(
    [
      `| ${ROUNDS} rounds, median (min-max) | LOG_LEVEL=info | LOG_LEVEL=error | cost of info (median of per-round ratios) |`,
      '|---|---:|---:|---:|',
      ...rows(
        `POST /submit-job, ${C} in flight, ${ROUND_MS} ms rounds`,
        'req/s',
        'API CPU µs per request',
        submit,
      ),
      ...rows(
        `Drain, 1 worker, C=${C}, ${N} jobs per round`,
        'jobs/s',
        'worker CPU µs per job',
        drain,
      ),
    ].join('\n'),
  );
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  },
);
