#!/usr/bin/env node
'use strict';
/**
 * Side-by-side benchmark of this service and its references on the same machine, in
 * one run: each measurement on a fresh redis-server the benchmark starts, the systems
 * alternating, repeated (median and spread). Prints one Markdown table with ratios
 * and writes it to bench/results/latest.md (quick.md for --quick).
 *
 *   npm run bench                      full run (N=20000, C=50, 5 drain rounds, 3 repeats)
 *   npm run bench -- --quick           smoke run (tiny N, 1 round)
 *   BENCH_N=50000 BENCH_DRAIN_ROUNDS=7 BENCH_REPEATS=5 npm run bench
 *   BENCH_ONLY=drain,submit npm run bench
 *
 * References: BullMQ workers (drain, pickup, memory); a bare node:http server calling
 * BullMQ `queue.add` and the NestJS + @nestjs/bullmq server a Nest user would write
 * (single submit); BullMQ `addBulk` called directly (bulk submit); a bare node:http
 * server doing one HGETALL (status read); this service itself with the rate limiter
 * off (the limiter's cost).
 */
const { execFileSync } = require('node:child_process');
const {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const {
  freePort,
  startRedisServer,
  usedMemory,
  commandsProcessed,
  redisVersion,
} = require('./lib/redis');
const { startNode, stop, killAll } = require('./lib/procs');
const { percentile, summary } = require('./lib/stats');
const { jobq, bullmq, PAYLOAD } = require('./lib/systems');
const { timedDrain, warmUp, waitBlocked, waitEmpty, fill } = require('./lib/drain');
const { versions } = require('./lib/machine');

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_N ?? (quick ? 300 : 20000));
const C = Number(process.env.BENCH_C ?? 50);
const REPEATS = Number(process.env.BENCH_REPEATS ?? (quick ? 1 : 3));
const DRAIN_ROUNDS = Number(process.env.BENCH_DRAIN_ROUNDS ?? (quick ? 1 : 5));
const WARMUP = Number(process.env.BENCH_WARMUP ?? (quick ? 100 : 5000));
const HTTP_MS = quick ? 500 : 5000;
const HTTP_WARMUP_MS = quick ? 300 : 1000;
const PICKUPS = quick ? 20 : 200;
const SCHEDULE_DELAY_MS = 250;
const IDLE_MS = quick ? 1000 : 5000;
const MEMORY_N = quick ? 300 : 10000;
/** BENCH_ONLY=drain,pickup runs a subset (for profiling); the published run runs all. */
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : undefined;
const OUT = process.env.BENCH_OUT ?? join(__dirname, 'results', quick ? 'quick.md' : 'latest.md');
const ROOT = join(__dirname, '..');
const NEST_DIR = join(__dirname, 'nest-bullmq-server');

/** Rate limiter on, with a budget one load generator cannot use up: the script still runs per request. */
const LIMITER_ON = { RATE_LIMIT_PER_MINUTE: '10000000', RATE_LIMIT_READS_PER_MINUTE: '10000000' };

const log = (...args) => console.error('[bench]', ...args);
const wanted = (key) => !ONLY || ONLY.some((name) => key.startsWith(name));

async function withRedis(fn) {
  const redis = await startRedisServer();
  try {
    return await fn(redis);
  } finally {
    await redis.stop();
  }
}

/** Drain throughput, Redis and worker CPU per job: see lib/drain.js for the method. */
async function drain(make, workers) {
  return withRedis(async (redis) => {
    const system = make(redis.url, 'drain');
    const procs = await Promise.all(Array.from({ length: workers }, () => system.startWorker(C)));
    try {
      await warmUp(redis, system, procs, WARMUP);
      return await timedDrain(redis, system, procs, N);
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
      await waitBlocked(redis.client, 1);
      const baseline = await usedMemory(redis.client);
      await fill(system, MEMORY_N);
      await waitEmpty(redis.client, system.pendingKeys);
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
      await waitBlocked(redis.client, 1);
      await sleep(200);
      const before = await commandsProcessed(redis.client);
      await sleep(IDLE_MS);
      const idleCommands =
        ((await commandsProcessed(redis.client)) - before - 1) / (IDLE_MS / 1000);
      for (let i = 0; i < PICKUPS; i++) {
        await system.add(1);
        await sleep(20);
      }
      await waitEmpty(redis.client, system.pendingKeys);
      const latencies = await system.pickupLatencies();
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), idleCommands };
    } finally {
      await stop(worker);
      await system.close();
    }
  });
}

/**
 * Lateness of scheduled jobs on an idle worker: jobs scheduled SCHEDULE_DELAY_MS
 * ahead, one every 20 ms; picked_ts - (created_ts + delay) for this service,
 * processedOn - (timestamp + delay) for BullMQ's `delay` option. Redis's default
 * settings (hz 10) on both.
 */
async function scheduled(make) {
  return withRedis(async (redis) => {
    const system = make(redis.url, 'scheduled');
    const worker = await system.startWorker(C);
    try {
      await waitBlocked(redis.client, 1);
      await sleep(200);
      for (let i = 0; i < PICKUPS; i++) {
        await system.addDelayed(SCHEDULE_DELAY_MS);
        await sleep(20);
      }
      await sleep(SCHEDULE_DELAY_MS);
      await waitEmpty(redis.client, system.pendingKeys);
      const lateness = await system.pickupLatencies(SCHEDULE_DELAY_MS);
      return { p50: percentile(lateness, 50), p99: percentile(lateness, 99) };
    } finally {
      await stop(worker);
      await system.close();
    }
  });
}

/** Closed-loop HTTP load from a process of its own (bench/lib/http-load.js). */
function runLoad(options) {
  const out = execFileSync(
    process.execPath,
    [
      join(__dirname, 'lib', 'http-load.js'),
      JSON.stringify({ durationMs: HTTP_MS, warmupMs: HTTP_WARMUP_MS, ...options }),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

const submitBody = { job_type: 'send_email', priority: 'high', payload: PAYLOAD };

/** A property of this service's set-up under `name`, without keeping its connection open. */
function jobqSetting(redisUrl, name, pick) {
  const system = jobq(redisUrl, name);
  try {
    return pick(system);
  } finally {
    void system.close();
  }
}

/** The HTTP servers under load, each started as its own process; resolves to its base URL. */
const servers = {
  async jobq(redis, name, env = {}) {
    const port = await freePort();
    const child = await startNode(
      [join(ROOT, 'dist', 'main.js')],
      { ...jobqSetting(redis.url, name, (s) => s.apiEnv), ...env, PORT: String(port) },
      /API listening/,
    );
    return { child, base: `http://127.0.0.1:${port}` };
  },
  async bullmq(redis, name) {
    const port = await freePort();
    const child = await startNode(
      [join(__dirname, 'bullmq-http-server.js')],
      { REDIS_URL: redis.url, BULL_QUEUE: `bench-${name}`, PORT: String(port) },
      /bullmq http ready/,
    );
    return { child, base: `http://127.0.0.1:${port}` };
  },
  async nest(redis, name) {
    const port = await freePort();
    const child = await startNode(
      [join(NEST_DIR, 'dist', 'main.js')],
      { REDIS_URL: redis.url, BULL_QUEUE: `bench-${name}`, PORT: String(port) },
      /nest bullmq ready/,
    );
    return { child, base: `http://127.0.0.1:${port}` };
  },
  async hgetall(redis, name) {
    const port = await freePort();
    const child = await startNode(
      [join(__dirname, 'redis-status-server.js')],
      {
        REDIS_URL: redis.url,
        HASH_PREFIX: jobqSetting(redis.url, name, (s) => s.hashKey('')),
        PORT: String(port),
      },
      /status http ready/,
    );
    return { child, base: `http://127.0.0.1:${port}` };
  },
};

async function withServer(kind, env, fn) {
  return withRedis(async (redis) => {
    const server = await servers[kind](redis, 'http', env);
    try {
      return await fn(server, redis);
    } finally {
      await stop(server.child);
    }
  });
}

/** Single submissions over HTTP, 50 in flight. */
function httpSubmit(kind, env) {
  return withServer(kind, env, ({ base }) =>
    runLoad({ url: `${base}/submit-job`, body: submitBody, concurrency: 50 }),
  );
}

/** GET /jobs/status/{id} of one pending job, 50 in flight. */
function statusRead(kind, env) {
  return withServer(kind, env, async ({ base }, redis) => {
    const system = jobq(redis.url, 'http');
    try {
      const [id] = await system.add(1);
      return runLoad({
        url: `${base}/jobs/status/${id}`,
        method: 'GET',
        body: '',
        expect: 200,
        concurrency: 50,
      });
    } finally {
      await system.close();
    }
  });
}

/** POST /submit-jobs with 1,000 jobs per request, 4 in flight. */
function bulkSubmit(env) {
  return withServer('jobq', env, ({ base }) => {
    const body = { jobs: Array.from({ length: 1000 }, () => submitBody) };
    const r = runLoad({ url: `${base}/submit-jobs`, body, concurrency: 4, warmupMs: 500 });
    return { ...r, rate: r.rate * 1000 };
  });
}

/** BullMQ addBulk of 1,000 jobs per call, 4 in flight, called directly (no HTTP). */
async function bullmqAddBulk() {
  return withRedis(async (redis) => {
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

/**
 * Compiles the NestJS reference server (TypeScript) into bench/nest-bullmq-server/dist
 * when a source changed: file by file, without type-checking (`npm run typecheck`
 * checks these files with the rest of the project), so the smoke run stays light.
 */
function buildNestReference() {
  const ts = require('typescript');
  const out = join(NEST_DIR, 'dist');
  const sources = readdirSync(NEST_DIR).filter((name) => name.endsWith('.ts'));
  const newest = Math.max(
    ...[...sources, 'tsconfig.json'].map((name) => statSync(join(NEST_DIR, name)).mtimeMs),
  );
  const built = join(out, 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('building the NestJS + @nestjs/bullmq reference server');
  const configFile = join(NEST_DIR, 'tsconfig.json');
  const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, NEST_DIR);
  mkdirSync(out, { recursive: true });
  for (const name of sources) {
    const { outputText } = ts.transpileModule(readFileSync(join(NEST_DIR, name), 'utf8'), {
      compilerOptions: { ...options, sourceMap: false },
      fileName: name,
    });
    writeFileSync(join(out, name.replace(/\.ts$/, '.js')), outputText);
  }
}

/** What each measurement compares; `rounds` repeats, the order of the systems alternating. */
function plan() {
  const jobqWith = (env) => (url, name) => jobq(url, name, env);
  const keepCompleted = (url, name) => bullmq(url, name, { keepCompleted: true });
  return [
    ...[1, 2].map((w) => ({
      key: `drain W=${w}`,
      rounds: DRAIN_ROUNDS,
      systems: {
        jobq: () => drain(jobq, w),
        // The events stream's cost: the same drain with EVENTS_ENABLED=false (W=1 only).
        ...(w === 1 ? { jobqNoEvents: () => drain(jobqWith({ EVENTS_ENABLED: 'false' }), w) } : {}),
        bullmq: () => drain(bullmq, w),
      },
    })),
    {
      key: 'pickup',
      rounds: REPEATS,
      systems: { jobq: () => pickup(jobq), bullmq: () => pickup(keepCompleted) },
    },
    {
      key: 'scheduled',
      rounds: REPEATS,
      systems: { jobq: () => scheduled(jobq), bullmq: () => scheduled(keepCompleted) },
    },
    {
      key: 'memory',
      rounds: REPEATS,
      systems: {
        jobq: () => memory(jobqWith({ JOB_RETENTION_COMPLETED_S: '1' }), { expire: true }),
        bullmq: () => memory(keepCompleted),
      },
    },
    {
      key: 'submit',
      rounds: REPEATS,
      systems: {
        jobq: () => httpSubmit('jobq'),
        jobqLimited: () => httpSubmit('jobq', LIMITER_ON),
        bullmq: () => httpSubmit('bullmq'),
        nest: () => httpSubmit('nest'),
      },
    },
    {
      key: 'bulk',
      rounds: REPEATS,
      systems: {
        jobq: () => bulkSubmit(),
        jobqLimited: () => bulkSubmit(LIMITER_ON),
        bullmq: () => bullmqAddBulk(),
      },
    },
    {
      key: 'status',
      rounds: REPEATS,
      systems: {
        jobq: () => statusRead('jobq'),
        jobqLimited: () => statusRead('jobq', LIMITER_ON),
        hgetall: () => statusRead('hgetall'),
      },
    },
  ].filter((m) => wanted(m.key));
}

/** Runs every measurement's rounds; round r of all measurements before round r + 1. */
async function measureAll(measurements) {
  const results = {};
  const most = Math.max(0, ...measurements.map((m) => m.rounds));
  for (let r = 0; r < most; r++) {
    for (const m of measurements) {
      if (r >= m.rounds) continue;
      const names = Object.keys(m.systems);
      // Rotate the order so no system always runs first (or right after another).
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const name of order) {
        log(`${m.key}: ${name} (round ${r + 1}/${m.rounds})`);
        ((results[m.key] ??= {})[name] ??= []).push(await m.systems[name]());
      }
    }
  }
  return results;
}

const fmt = (v, digits = 0) =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(results) {
  const rows = [];
  const verdict = (ok, text) => `${ok ? 'met' : 'MISSED'}: ${text}`;
  /** One row: this service's `ours` values beside the reference `theirs` of measurement `key`. */
  const row = (metric, key, [ours, theirs], pick, { digits = 0, goal, reference }) => {
    const set = results[key];
    if (!set?.[ours] || !set[theirs]) return;
    const a = summary(set[ours].map(pick), digits);
    const b = summary(set[theirs].map(pick), digits);
    const ratio = a.median / b.median;
    rows.push(
      `| ${metric} | ${a.text} | ${b.text} | ${Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a'} | ${goal ? goal(a.median, ratio) : ''} | ${reference} |`,
    );
  };
  const atLeast = (x) => (_o, ratio) => verdict(ratio >= x, `>= ${x}x`);
  const atMost = (x) => (_o, ratio) => verdict(ratio <= x, `<= ${x}x`);
  const under = (limit, unit) => (o) => verdict(o <= limit, `<= ${limit} ${unit}`);
  const limiterCost = (_o, ratio) => {
    const change = Math.round((ratio - 1) * 100);
    const text = change < 0 ? `${-change} % lower` : `${change} % higher`;
    return verdict(ratio >= 0.85, `at most 15 % lower (${text})`);
  };
  const bullWorker = 'BullMQ `Worker` processes (removeOnComplete)';

  for (const w of [1, 2]) {
    const key = `drain W=${w}`;
    const pair = ['jobq', 'bullmq'];
    row(`Drain throughput, W=${w}, C=${C} (jobs/s)`, key, pair, (x) => x.rate, {
      goal: atLeast(2),
      reference: bullWorker,
    });
    row(`Redis CPU per job, W=${w} (µs)`, key, pair, (x) => x.redisCpuUs, {
      digits: 1,
      goal: atMost(0.5),
      reference: bullWorker,
    });
    row(`Worker CPU per job, W=${w} (µs, all worker processes)`, key, pair, (x) => x.workerCpuUs, {
      digits: 1,
      reference: bullWorker,
    });
  }
  const events = 'this service, EVENTS_ENABLED=false';
  row(
    'Drain throughput, W=1, events on (jobs/s)',
    'drain W=1',
    ['jobq', 'jobqNoEvents'],
    (x) => x.rate,
    {
      reference: events,
    },
  );
  row(
    'Redis CPU per job, W=1, events on (µs)',
    'drain W=1',
    ['jobq', 'jobqNoEvents'],
    (x) => x.redisCpuUs,
    {
      digits: 1,
      reference: events,
    },
  );
  const idleBull = 'an idle BullMQ `Worker`';
  row('Pickup latency on an idle worker, p50 (ms)', 'pickup', ['jobq', 'bullmq'], (x) => x.p50, {
    goal: under(1, 'ms'),
    reference: idleBull,
  });
  row('Pickup latency on an idle worker, p99 (ms)', 'pickup', ['jobq', 'bullmq'], (x) => x.p99, {
    goal: under(5, 'ms'),
    reference: idleBull,
  });
  const delayedBull = 'BullMQ `delay` option, an idle `Worker`';
  row(
    `Scheduled job lateness, p50 (ms; ${SCHEDULE_DELAY_MS} ms ahead)`,
    'scheduled',
    ['jobq', 'bullmq'],
    (x) => x.p50,
    {
      goal: under(5, 'ms'),
      reference: delayedBull,
    },
  );
  row(`Scheduled job lateness, p99 (ms)`, 'scheduled', ['jobq', 'bullmq'], (x) => x.p99, {
    goal: under(25, 'ms'),
    reference: delayedBull,
  });
  row(
    'Redis commands/s sent by an idle worker',
    'pickup',
    ['jobq', 'bullmq'],
    (x) => x.idleCommands,
    { digits: 1, goal: under(5, '/s'), reference: idleBull },
  );
  row(
    'Redis memory per retained completed job (bytes)',
    'memory',
    ['jobq', 'bullmq'],
    (x) => x.retained,
    { goal: atMost(1), reference: 'BullMQ, completed jobs kept' },
  );

  const bare = 'bare `node:http` + BullMQ `queue.add`';
  const nest = 'NestJS + Fastify + global `ValidationPipe` + @nestjs/bullmq `queue.add`';
  const off = 'this service, rate limiter off';
  const sub = ['jobq', 'bullmq'];
  row('Single submit, 50 in flight (req/s)', 'submit', sub, (x) => x.rate, {
    goal: atLeast(1),
    reference: bare,
  });
  row('Single submit, p50 latency (ms)', 'submit', sub, (x) => x.p50, {
    digits: 1,
    reference: bare,
  });
  row('Single submit, p99 latency (ms)', 'submit', sub, (x) => x.p99, {
    digits: 1,
    goal: under(25, 'ms'),
    reference: bare,
  });
  row('Single submit vs NestJS + BullMQ (req/s)', 'submit', ['jobq', 'nest'], (x) => x.rate, {
    goal: atLeast(2),
    reference: nest,
  });
  row('Single submit vs NestJS + BullMQ, p99 (ms)', 'submit', ['jobq', 'nest'], (x) => x.p99, {
    digits: 1,
    reference: nest,
  });
  row('Single submit, rate limiter on (req/s)', 'submit', ['jobqLimited', 'jobq'], (x) => x.rate, {
    goal: limiterCost,
    reference: off,
  });
  row('Single submit, rate limiter on, p99 (ms)', 'submit', ['jobqLimited', 'jobq'], (x) => x.p99, {
    digits: 1,
    goal: under(25, 'ms'),
    reference: off,
  });
  row('Bulk submit, 1,000 per call, 4 in flight (jobs/s)', 'bulk', sub, (x) => x.rate, {
    goal: atLeast(1),
    reference: 'BullMQ `addBulk` called directly (no HTTP, no validation)',
  });
  row('Bulk submit, rate limiter on (jobs/s)', 'bulk', ['jobqLimited', 'jobq'], (x) => x.rate, {
    goal: limiterCost,
    reference: off,
  });
  const hget = 'bare `node:http` + one `HGETALL`';
  row('Status read, 50 in flight (req/s)', 'status', ['jobq', 'hgetall'], (x) => x.rate, {
    goal: atLeast(1),
    reference: hget,
  });
  row('Status read, p99 latency (ms)', 'status', ['jobq', 'hgetall'], (x) => x.p99, {
    digits: 1,
    reference: hget,
  });
  row('Status read, rate limiter on (req/s)', 'status', ['jobqLimited', 'jobq'], (x) => x.rate, {
    reference: off,
  });
  return rows;
}

/** Every round's figure of the measurements whose spread matters most. */
function roundDetails(results) {
  const lines = [];
  for (const w of [1, 2]) {
    const set = results[`drain W=${w}`];
    if (!set) continue;
    const each = (name) => set[name].map((x) => fmt(x.rate)).join(', ');
    lines.push(
      `- Drain W=${w}, jobs/s per round (in run order): this service ${each('jobq')}; BullMQ ${each('bullmq')}`,
    );
  }
  const errors = [];
  for (const [key, set] of Object.entries(results)) {
    for (const [name, values] of Object.entries(set)) {
      const n = values.reduce((sum, x) => sum + (x.errors ?? 0), 0);
      if (n > 0) errors.push(`${key}/${name}: ${n}`);
    }
  }
  lines.push(
    `- Requests answered with an unexpected status: ${errors.length ? errors.join(', ') : 'none'}`,
  );
  const memory = results.memory?.jobq;
  if (memory) {
    lines.push(
      `- Memory after retention expiry (this service, JOB_RETENTION_COMPLETED_S=1): ${
        summary(
          memory.map((x) => x.afterExpiry),
          0,
        ).text
      } bytes per job above the empty baseline`,
    );
  }
  return lines;
}

async function main() {
  const measurements = plan();
  if (measurements.some((m) => m.key === 'submit')) buildNestReference();
  let redisVer = 'unknown';
  await withRedis(async (redis) => (redisVer = await redisVersion(redis.client)));
  const results = await measureAll(measurements);

  const v = versions();
  const lines = [
    `Machine: ${v.cores} cores, ${v.cpu}; Node ${v.node}; Redis ${redisVer}; BullMQ ${v.bullmq}; ioredis ${v.ioredis}; NestJS ${v.nest}; this service ${v.service}`,
    `N=${N} jobs per drain after a warm-up of ${WARMUP}, C=${C} in flight per worker; ${DRAIN_ROUNDS} drain round(s), ${REPEATS} round(s) of everything else; values are median (min-max); ratio = this service / reference.`,
    '',
    '| Metric | This service | Reference | Ratio | Goal | Reference is |',
    '|---|---:|---:|---:|---|---|',
    ...table(results),
    '',
    ...roundDetails(results),
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
