#!/usr/bin/env node
'use strict';
/**
 * Side-by-side benchmark of this service and BullMQ on the same machine, in one run,
 * each measurement on a fresh redis-server the benchmark starts, systems alternating,
 * repeated (median and spread). Prints one table with ratios and writes it as Markdown.
 *
 *   npm run bench                      full run (N=20000, C=50, 3 repeats)
 *   npm run bench -- --quick           smoke run (tiny N, 1 repeat)
 *   BENCH_N=50000 BENCH_REPEATS=5 npm run bench
 */
const { execSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const {
  freePort,
  startRedisServer,
  redisCpuSeconds,
  usedMemory,
  commandsProcessed,
  redisVersion,
} = require('./lib/redis');
const { startNode, stop, killAll } = require('./lib/procs');
const { percentile, summary } = require('./lib/stats');
const { jobq, bullmq, PAYLOAD } = require('./lib/systems');
const { versions } = require('./lib/machine');

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_N ?? (quick ? 300 : 20000));
const C = Number(process.env.BENCH_C ?? 50);
const REPEATS = Number(process.env.BENCH_REPEATS ?? (quick ? 1 : 3));
const HTTP_MS = quick ? 500 : 5000;
const PICKUPS = quick ? 20 : 200;
const IDLE_MS = quick ? 1000 : 5000;
const MEMORY_N = quick ? 300 : 10000;
/** BENCH_ONLY=drain,pickup runs a subset (for profiling); the published run runs all. */
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
const OUT = process.env.BENCH_OUT ?? join(__dirname, 'results', quick ? 'quick.md' : 'latest.md');

const log = (...args) => console.error('[bench]', ...args);

async function withRedis(fn) {
  const redis = await startRedisServer();
  try {
    return await fn(redis);
  } finally {
    await redis.stop();
  }
}

async function waitIdle(redis, workers) {
  for (;;) {
    const list = await redis.client.client('LIST');
    if ((list.match(/cmd=bzpopmin/g) ?? []).length >= workers) return;
    await sleep(10);
  }
}

async function waitDrained(system, pollMs = 5) {
  while ((await system.remaining()) > 0) await sleep(pollMs);
}

/** Drain throughput and Redis CPU per job for a pre-filled queue of N no-op jobs. */
async function drain(make, workers) {
  return withRedis(async (redis) => {
    const system = make(redis.url, 'drain');
    const procs = await Promise.all(Array.from({ length: workers }, () => system.startWorker(C)));
    try {
      await waitIdle(redis, workers);
      await system.prefillPaused(N);
      const cpu0 = await redisCpuSeconds(redis.client);
      const t0 = process.hrtime.bigint();
      await system.resume();
      await waitDrained(system);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu1 = await redisCpuSeconds(redis.client);
      return { rate: N / seconds, cpuUs: ((cpu1 - cpu0) / N) * 1e6 };
    } finally {
      await Promise.all(procs.map(stop));
      await system.close();
    }
  });
}

/** Redis memory per retained completed job; for this service also after retention expiry. */
async function memory(make, { expire = false } = {}) {
  return withRedis(async (redis) => {
    const system = make(redis.url, 'memory');
    const worker = await system.startWorker(C);
    try {
      await waitIdle(redis, 1);
      const baseline = await usedMemory(redis.client);
      await system.prefillPaused(MEMORY_N);
      await system.resume();
      await waitDrained(system);
      const retained = ((await usedMemory(redis.client)) - baseline) / MEMORY_N;
      if (!expire) return { retained };
      // Retention 1 s: wait for Redis to expire the finished jobs' hashes.
      const deadline = Date.now() + 30000;
      let after = Infinity;
      while (Date.now() < deadline) {
        after = ((await usedMemory(redis.client)) - baseline) / MEMORY_N;
        if ((await redis.client.dbsize()) <= 10) break;
        await sleep(200);
      }
      return { retained, afterExpiry: after, keysLeft: await redis.client.dbsize() };
    } finally {
      await stop(worker);
      await system.close();
    }
  });
}

/** Pickup latency on an idle worker, and the commands an idle worker sends per second. */
async function pickup(make) {
  return withRedis(async (redis) => {
    const system = make(redis.url, 'pickup');
    const worker = await system.startWorker(C);
    try {
      await waitIdle(redis, 1);
      await sleep(200);
      const before = await commandsProcessed(redis.client);
      await sleep(IDLE_MS);
      const idleCommands =
        ((await commandsProcessed(redis.client)) - before - 1) / (IDLE_MS / 1000);
      for (let i = 0; i < PICKUPS; i++) {
        await system.add(1);
        await sleep(20);
      }
      await waitDrained(system);
      const latencies = await system.pickupLatencies();
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), idleCommands };
    } finally {
      await stop(worker);
      await system.close();
    }
  });
}

function runLoad(options) {
  const out = execSync(
    `${JSON.stringify(process.execPath)} ${JSON.stringify(join(__dirname, 'lib', 'http-load.js'))} '${JSON.stringify(options)}'`,
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out);
}

const submitBody = { job_type: 'send_email', priority: 'high', payload: PAYLOAD };

/** Single submissions over HTTP at 50 in flight. */
async function httpSubmit(kind) {
  return withRedis(async (redis) => {
    const port = await freePort();
    const server =
      kind === 'jobq'
        ? await startNode(
            [join(__dirname, '..', 'dist', 'main.js')],
            { ...jobq(redis.url, 'http').apiEnv, PORT: String(port) },
            /API listening/,
          )
        : await startNode(
            [join(__dirname, 'bullmq-http-server.js')],
            { REDIS_URL: redis.url, BULL_QUEUE: 'bench-http', PORT: String(port) },
            /bullmq http ready/,
          );
    try {
      return runLoad({
        url: `http://127.0.0.1:${port}/submit-job`,
        body: submitBody,
        concurrency: 50,
        durationMs: HTTP_MS,
      });
    } finally {
      await stop(server);
    }
  });
}

/** Bulk submission: this service's POST /submit-jobs (1,000 per request) vs BullMQ addBulk (1,000 per call). */
async function bulkSubmit(kind) {
  return withRedis(async (redis) => {
    if (kind === 'jobq') {
      const port = await freePort();
      const server = await startNode(
        [join(__dirname, '..', 'dist', 'main.js')],
        { ...jobq(redis.url, 'bulk').apiEnv, PORT: String(port) },
        /API listening/,
      );
      try {
        const body = { jobs: Array.from({ length: 1000 }, () => submitBody) };
        const r = runLoad({
          url: `http://127.0.0.1:${port}/submit-jobs`,
          body,
          concurrency: 4,
          durationMs: HTTP_MS,
          warmupMs: 500,
        });
        return { rate: r.rate * 1000, errors: r.errors };
      } finally {
        await stop(server);
      }
    }
    const system = bullmq(redis.url, 'bulk');
    try {
      await system.add(1000); // warm-up
      let jobs = 0;
      const stopAt = Date.now() + HTTP_MS;
      const start = Date.now();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (Date.now() < stopAt) {
            await system.add(1000);
            jobs += 1000;
          }
        }),
      );
      return { rate: jobs / ((Date.now() - start) / 1000), errors: 0 };
    } finally {
      await system.close();
    }
  });
}

async function main() {
  const jobqWith = (env) => (url, name) => jobq(url, name, env);
  const results = {};
  const record = (key, system, value) => {
    results[key] ??= { jobq: [], bullmq: [] };
    results[key][system].push(value);
  };
  const both = async (key, fns, r) => {
    if (ONLY && !ONLY.some((name) => key.startsWith(name))) return;
    const order = r % 2 === 0 ? ['jobq', 'bullmq'] : ['bullmq', 'jobq'];
    for (const system of order) {
      log(`${key}: ${system} (repeat ${r + 1}/${REPEATS})`);
      record(key, system, await fns[system]());
    }
  };

  let redisVer = 'unknown';
  await withRedis(async (redis) => (redisVer = await redisVersion(redis.client)));

  for (let r = 0; r < REPEATS; r++) {
    for (const w of [1, 2]) {
      await both(`drain W=${w}`, { jobq: () => drain(jobq, w), bullmq: () => drain(bullmq, w) }, r);
    }
    await both(
      'pickup',
      {
        jobq: () => pickup(jobq),
        bullmq: () => pickup((u, n) => bullmq(u, n, { keepCompleted: true })),
      },
      r,
    );
    await both(
      'memory',
      {
        jobq: () => memory(jobqWith({ JOB_RETENTION_COMPLETED_S: '1' }), { expire: true }),
        bullmq: () => memory((u, n) => bullmq(u, n, { keepCompleted: true })),
      },
      r,
    );
    await both('http', { jobq: () => httpSubmit('jobq'), bullmq: () => httpSubmit('bullmq') }, r);
    await both('bulk', { jobq: () => bulkSubmit('jobq'), bullmq: () => bulkSubmit('bullmq') }, r);
  }

  const rows = [];
  const row = (metric, key, pick, { digits = 0, goal } = {}) => {
    if (!results[key]) return;
    const ours = summary(results[key].jobq.map(pick), digits);
    const theirs = summary(results[key].bullmq.map(pick), digits);
    const ratio = ours.median / theirs.median;
    rows.push({
      metric,
      ours: ours.text,
      theirs: theirs.text,
      ratio: Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a',
      goal: goal ? goal(ours.median, theirs.median, ratio) : '',
    });
  };
  const verdict = (ok, text) => `${ok ? 'met' : 'MISSED'}: ${text}`;
  for (const w of [1, 2]) {
    row(`Drain throughput, W=${w}, C=${C} (jobs/s)`, `drain W=${w}`, (x) => x.rate, {
      goal: (_o, _t, ratio) => verdict(ratio >= 2, '>= 2x'),
    });
    row(`Redis CPU per job, W=${w} (µs)`, `drain W=${w}`, (x) => x.cpuUs, {
      digits: 1,
      goal: (_o, _t, ratio) => verdict(ratio <= 0.5, '<= 0.5x'),
    });
  }
  row('Pickup latency on an idle worker, p50 (ms)', 'pickup', (x) => x.p50, {
    goal: (o) => verdict(o <= 1, '<= 1 ms'),
  });
  row('Pickup latency on an idle worker, p99 (ms)', 'pickup', (x) => x.p99, {
    goal: (o) => verdict(o <= 5, '<= 5 ms'),
  });
  row('Redis commands/s sent by an idle worker', 'pickup', (x) => x.idleCommands, {
    digits: 1,
    goal: (o) => verdict(o <= 5, 'a few'),
  });
  row('Redis memory per retained completed job (bytes)', 'memory', (x) => x.retained, {
    goal: (_o, _t, ratio) => verdict(ratio <= 1, '<= 1x'),
  });
  const expired = results.memory ? results.memory.jobq.map((x) => x.afterExpiry) : [NaN];
  row('Single submit over HTTP, 50 in flight (req/s)', 'http', (x) => x.rate, {
    goal: (_o, _t, ratio) => verdict(ratio >= 1.3, '>= 1.3x'),
  });
  row('Single submit over HTTP, p50 latency (ms)', 'http', (x) => x.p50, { digits: 1 });
  row('Single submit over HTTP, p99 latency (ms)', 'http', (x) => x.p99, {
    digits: 1,
    goal: (o) => verdict(o <= 25, '<= 25 ms'),
  });
  row('Bulk submit, 1,000 per call (jobs/s)', 'bulk', (x) => x.rate, {
    goal: (_o, _t, ratio) => verdict(ratio >= 1, '>= 1x'),
  });

  const v = versions();
  const lines = [
    `Machine: ${v.cores} cores, ${v.cpu}; Node ${v.node}; Redis ${redisVer}; BullMQ ${v.bullmq}; ioredis ${v.ioredis}; this service ${v.service}`,
    `N=${N} jobs, C=${C} in flight per worker, ${REPEATS} repeat(s), values are median (min-max); ratio = this service / BullMQ.`,
    '',
    '| Metric | This service | BullMQ | Ratio | Goal |',
    '|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.metric} | ${r.ours} | ${r.theirs} | ${r.ratio} | ${r.goal} |`),
    '',
    `Memory after retention expiry (this service, JOB_RETENTION_COMPLETED_S=1): ${summary(expired, 0).text} bytes per job above the empty baseline.`,
    '',
    "Submission references: single submit is compared with a bare node:http server calling BullMQ `queue.add`; bulk submit is this service's `POST /submit-jobs` over HTTP compared with BullMQ `addBulk` called directly (no HTTP).",
  ];
  const markdown = lines.join('\n');
  console.log(markdown);
  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(OUT, `${markdown}\n`);
  log(`written to ${OUT}`);
}

main()
  .then(() => {
    killAll();
    process.exit(0);
  })
  .catch((error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
