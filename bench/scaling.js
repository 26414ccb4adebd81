#!/usr/bin/env node
'use strict';
// How the service scales out on one Redis: submit rate with 1 and 2 API processes,
// drain rate with 1, 2 and 4 worker processes, the CPU each process used, and the
// Redis CPU each job cost (INFO cpu: used_cpu_user + used_cpu_sys, before and after).
//
//   npm run bench:scaling                      20,000 jobs per measurement
//   npm run bench:scaling -- --jobs 2000       a quick look
//   node bench/scaling.js --redis redis://host:6379 --http-concurrency 64
//
// Runs the built service (dist/) against REDIS_URL (default the local Redis on
// 6379) under a prefix of its own, deleted afterwards. Writes a markdown table to
// stdout and to bench/results/scaling.md. Everything runs on this machine: the load
// generator (this process) competes for the same cores as the service and Redis.
const http = require('node:http');
const { mkdirSync, writeFileSync } = require('node:fs');
const { cpus } = require('node:os');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const { parseArgs } = require('node:util');
const Redis = require('ioredis');
const { startNode, stop } = require('./lib/procs');
const { processCpuSeconds } = require('./lib/drain');
const { redisCpuSeconds } = require('./lib/redis');

const ROOT = join(__dirname, '..');
const { values: opts } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20000' },
    redis: { type: 'string', default: process.env.REDIS_URL || 'redis://127.0.0.1:6379' },
    'http-concurrency': { type: 'string', default: '64' },
    'worker-concurrency': { type: 'string', default: '50' },
  },
});
const JOBS = Number(opts.jobs);
const HTTP_CONCURRENCY = Number(opts['http-concurrency']);
const PREFIX = `bench:scaling:${process.pid}`;

const baseEnv = {
  REDIS_URL: opts.redis,
  QUEUE_PREFIX: PREFIX,
  LOG_LEVEL: 'info', // as bench/run.js: the service's default level, its request logs included
  METRICS_PORT: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_READS_PER_MINUTE: '0',
  EVENTS_ENABLED: 'true',
  EMAIL_TRANSPORT: 'simulated',
  EMAIL_SIMULATED_DURATION_MS: '0',
  EMAIL_SIMULATED_FAILURE_RATE: '0',
  JOB_RETENTION_COMPLETED_S: '300',
};

let nextPort = 31000 + (process.pid % 2000);
async function startApi() {
  const port = nextPort++;
  const child = await startNode(
    [join(ROOT, 'dist', 'main.js')],
    { ...baseEnv, WORKER_ENABLED: 'false', PORT: String(port), HOST: '127.0.0.1' },
    /API listening/,
  );
  return { child, port };
}

async function startWorker() {
  const child = await startNode(
    [join(ROOT, 'dist', 'worker.js')],
    { ...baseEnv, WORKER_CONCURRENCY: opts['worker-concurrency'] },
    /Worker \S+ started/,
  );
  return { child };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
function post(port, path, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const job = (i) => ({
  job_type: 'send_email',
  priority: i % 4 === 0 ? 'high' : 'low',
  payload: { to: `user${i}@example.com`, subject: 'Hello', body: 'Hi there' },
});

/** `n` single submits (POST /submit-job) spread over `ports`, HTTP_CONCURRENCY at a time. */
async function submitSingles(ports, n) {
  let sent = 0;
  let failed = 0;
  const loop = async () => {
    while (sent < n) {
      const i = sent++;
      const status = await post(ports[i % ports.length], '/submit-job', job(i));
      if (status !== 201) failed++;
    }
  };
  await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, loop));
  if (failed > 0) throw new Error(`${failed} submits failed`);
}

/** `n` jobs in bulk calls of 500 (to fill the queue before a drain). */
async function fillBulk(port, n) {
  for (let done = 0; done < n; done += 500) {
    const jobs = Array.from({ length: Math.min(500, n - done) }, (_, i) => job(done + i));
    const status = await post(port, '/submit-jobs', { jobs });
    if (status !== 201) throw new Error(`bulk submit answered ${status}`);
  }
}

async function waitDrained(redis) {
  for (;;) {
    const [high, low, inflight] = await Promise.all([
      redis.llen(`${PREFIX}:queue:high`),
      redis.llen(`${PREFIX}:queue:low`),
      redis.zcard(`${PREFIX}:inflight`),
    ]);
    if (high + low + inflight === 0) return;
    await sleep(5);
  }
}

const cpuOf = (procs) => procs.map((p) => processCpuSeconds(p.child.pid));

async function deletePrefix(redis) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function measureSubmit(redis, apiCount) {
  const apis = [];
  for (let i = 0; i < apiCount; i++) apis.push(await startApi());
  try {
    await submitSingles(
      apis.map((a) => a.port),
      Math.min(1000, JOBS),
    ); // warm-up
    const cpu0 = cpuOf(apis);
    const redis0 = await redisCpuSeconds(redis);
    const t0 = process.hrtime.bigint();
    await submitSingles(
      apis.map((a) => a.port),
      JOBS,
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const redisCpu = (await redisCpuSeconds(redis)) - redis0;
    const cpu = cpuOf(apis).map((c, i) => c - cpu0[i]);
    return {
      what: `submit (POST /submit-job), ${apiCount} API process${apiCount > 1 ? 'es' : ''}`,
      rate: JOBS / seconds,
      cpuPerProcess: cpu.map((c) => c / seconds),
      redisCpuPerJobUs: (redisCpu / JOBS) * 1e6,
      redisCpuShare: redisCpu / seconds,
    };
  } finally {
    for (const api of apis) await stop(api.child);
    await deletePrefix(redis);
  }
}

async function measureDrain(redis, workerCount) {
  const api = await startApi();
  const workers = [];
  try {
    for (let i = 0; i < workerCount; i++) workers.push(await startWorker());
    await fillBulk(api.port, Math.min(1000, JOBS)); // warm-up
    await waitDrained(redis);
    // Workers frozen while the queue fills, so timing starts with every job waiting.
    for (const w of workers) w.child.kill('SIGSTOP');
    await fillBulk(api.port, JOBS);
    const cpu0 = cpuOf(workers);
    const redis0 = await redisCpuSeconds(redis);
    const t0 = process.hrtime.bigint();
    for (const w of workers) w.child.kill('SIGCONT');
    await waitDrained(redis);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const redisCpu = (await redisCpuSeconds(redis)) - redis0;
    const cpu = cpuOf(workers).map((c, i) => c - cpu0[i]);
    return {
      what: `drain, ${workerCount} worker process${workerCount > 1 ? 'es' : ''} (concurrency ${opts['worker-concurrency']} each)`,
      rate: JOBS / seconds,
      cpuPerProcess: cpu.map((c) => c / seconds),
      redisCpuPerJobUs: (redisCpu / JOBS) * 1e6,
      redisCpuShare: redisCpu / seconds,
    };
  } finally {
    for (const w of workers) w.child.kill('SIGCONT');
    for (const w of [...workers, api]) await stop(w.child);
    await deletePrefix(redis);
  }
}

function table(rows) {
  const lines = [
    '| measurement | jobs/s | CPU per service process (cores) | Redis CPU per job (µs) | Redis CPU (cores) |',
    '|---|---:|---|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.what} | ${Math.round(r.rate)} | ${r.cpuPerProcess.map((c) => c.toFixed(2)).join(', ')} | ` +
        `${r.redisCpuPerJobUs.toFixed(1)} | ${r.redisCpuShare.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const redis = new Redis(opts.redis, { maxRetriesPerRequest: null, protocol: 2 });
  const rows = [];
  try {
    for (const apis of [1, 2]) rows.push(await measureSubmit(redis, apis));
    for (const workers of [1, 2, 4]) rows.push(await measureDrain(redis, workers));
  } finally {
    await deletePrefix(redis).catch(() => undefined);
    redis.disconnect();
    agent.destroy();
  }
  const report = [
    '# Scaling run',
    '',
    `${JOBS} jobs per measurement; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); ` +
      `Node ${process.version}; HTTP concurrency ${HTTP_CONCURRENCY}; Redis ${opts.redis.replace(/\/\/[^@]*@/, '//***@')}.`,
    'The load generator, the service processes and Redis share this machine.',
    `Produced by \`npm run bench:scaling -- --jobs ${JOBS}\` on ${new Date().toISOString()}.`,
    '',
    table(rows),
    '',
  ].join('\n');
  process.stdout.write(report);
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'scaling.md'), report);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
