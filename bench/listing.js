'use strict';
/**
 * Listing at scale (npm run bench:listing): how fast GET /jobs finds jobs among
 * a million retained ones, what its indexes cost in Redis memory, and whether
 * memory returns to the empty baseline once the jobs expire.
 *
 *   npm run bench:listing                     1,000,000 jobs (about 3-4 minutes)
 *   LISTING_JOBS=100000 npm run bench:listing a smaller run
 *
 * Phase 1 fills a redis-server of its own with LISTING_JOBS jobs through the
 * service's own scripts (submit, claim, complete or fail: 1 % end failed, 0.1 %
 * cancelled), for LISTING_RECIPIENTS distinct recipients, events off (the events
 * stream is capped and not an index). It then times, over HTTP against
 * `node dist/main.js`, the first page (limit 50) of status=completed,
 * status=failed, to=<a recipient>, status=completed&to=<a recipient>; and reads
 * SLOWLOG for any Redis command of the listing slower than 1 ms.
 * Index bytes per job: MEMORY USAGE of every index key (state sets and recipient
 * buckets) over the number of jobs.
 * Phase 2 fills LISTING_EXPIRY_JOBS jobs kept 15 s, runs a worker (which does
 * the index upkeep), waits until every job and index entry is gone and compares
 * used_memory with the baseline taken before the fill.
 */
require('reflect-metadata');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { writeFileSync, mkdirSync } = require('node:fs');
const { freePort, startRedisServer, usedMemory } = require('./lib/redis');
const { startNode, stop, killAll } = require('./lib/procs');
const { percentile } = require('./lib/stats');

const ROOT = join(__dirname, '..');
const { JobRepository } = require(join(ROOT, 'dist', 'queue', 'job.repository.js'));
const { loadEnv } = require(join(ROOT, 'dist', 'config', 'env.js'));

const JOBS = Number(process.env.LISTING_JOBS ?? 1_000_000);
const RECIPIENTS = Number(process.env.LISTING_RECIPIENTS ?? 100_000);
const EXPIRY_JOBS = Number(process.env.LISTING_EXPIRY_JOBS ?? 100_000);
const SAMPLES = Number(process.env.LISTING_SAMPLES ?? 200);
const BATCH = 1000;
const PREFIX = 'jobs';

const log = (line) => process.stdout.write(`[listing] ${line}\n`);

async function fill(repo, n, recipientOf) {
  let done = 0;
  const started = Date.now();
  while (done < n) {
    const size = Math.min(BATCH, n - done);
    const jobs = Array.from({ length: size }, (_, i) => {
      const to = recipientOf(done + i);
      return {
        id: randomUUID(),
        type: 'send_email',
        priority: (done + i) % 3 === 0 ? 'high' : 'low',
        payloadJson: JSON.stringify({ to, subject: 'Listing bench', body: 'Hello' }),
        recipient: to,
      };
    });
    await repo.submit(jobs);
    const { jobs: claimed } = await repo.claim(size, 600_000, `bench:${done}`);
    const failed = [];
    const cancelled = [];
    const completed = [];
    for (const job of claimed) {
      const k = Number.parseInt(job.id.slice(0, 6), 16) % 1000;
      if (k < 10) failed.push(job);
      else if (k < 11) cancelled.push(job);
      else completed.push(job);
    }
    await repo.complete(completed);
    for (const job of failed)
      await repo.fail(job, 'bench failure', { delayMs: 0, permanent: true });
    // A cancel request on a running job ends it cancelled when the attempt settles.
    for (const job of cancelled) {
      await repo.cancel(job.id);
      await repo.fail(job, 'cancelled by the bench', { delayMs: 0, permanent: false });
    }
    done += size;
    if (done % 100_000 === 0 || done === n) {
      log(`${done.toLocaleString('en')} jobs (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  }
}

async function indexBytes(redis) {
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:index:*`, 'COUNT', 1000);
    for (const key of keys) bytes += Number(await redis.memory('USAGE', key, 'SAMPLES', '0'));
    cursor = next;
  } while (cursor !== '0');
  return bytes;
}

async function time(url, n) {
  const ms = [];
  let jobs = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(url(i));
    const body = await res.json();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
    jobs += body.jobs.length;
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), max: Math.max(...ms), jobs: jobs / n };
}

async function main() {
  const server = await startRedisServer();
  const redis = server.client;
  const env = {
    REDIS_URL: server.url,
    QUEUE_PREFIX: PREFIX,
    EVENTS_ENABLED: 'false',
    JOB_RETENTION_COMPLETED_S: '86400',
    JOB_RETENTION_FAILED_S: '86400',
  };
  const repo = new JobRepository(redis, { queuePrefix: PREFIX }, loadEnv(env).jobs);
  const baseline = await usedMemory(redis);
  log(
    `filling ${JOBS.toLocaleString('en')} jobs for ${RECIPIENTS.toLocaleString('en')} recipients`,
  );
  await fill(repo, JOBS, (i) => `user${i % RECIPIENTS}@example.com`);
  const filled = await usedMemory(redis);
  const index = await indexBytes(redis);
  const counts = {};
  for (const state of ['all', 'failed', 'cancelled']) {
    counts[state] = await redis.zcard(`${PREFIX}:index:${state}`);
  }
  log(
    `memory ${((filled - baseline) / JOBS).toFixed(0)} B/job in all; indexes ${(index / JOBS).toFixed(1)} B/job`,
  );

  const apiPort = await freePort();
  const api = await startNode(
    [join(ROOT, 'dist', 'main.js')],
    {
      ...env,
      WORKER_ENABLED: 'false',
      PORT: String(apiPort),
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
    },
    /listening/i,
  );
  const base = `http://127.0.0.1:${apiPort}`;
  await redis.config('SET', 'slowlog-log-slower-than', '1000');
  await redis.slowlog('RESET');

  const someone = (i) => `user${(i * 7919) % RECIPIENTS}@example.com`;
  const queries = {
    'status=completed': () => `${base}/jobs?status=completed&limit=50`,
    'status=failed': () => `${base}/jobs?status=failed&limit=50`,
    'to=Y': (i) => `${base}/jobs?to=${encodeURIComponent(someone(i))}&limit=50`,
    'status=completed&to=Y': (i) =>
      `${base}/jobs?status=completed&to=${encodeURIComponent(someone(i))}&limit=50`,
    'no filter': () => `${base}/jobs?limit=50`,
  };
  const results = {};
  for (const [name, url] of Object.entries(queries)) {
    await time(url, 10); // warm-up
    results[name] = await time(url, SAMPLES);
    log(
      `${name}: p50 ${results[name].p50.toFixed(1)} ms, p99 ${results[name].p99.toFixed(1)} ms, ${results[name].jobs.toFixed(1)} jobs/page`,
    );
  }
  const slow = await redis.slowlog('GET', 128);
  const slowest = slow.reduce((m, entry) => Math.max(m, Number(entry[2])), 0);
  await stop(api);

  // Phase 2: expiry back to the baseline. Redis keeps a little memory after its
  // first keys expire whatever they were (dictionaries, script cache): the baseline
  // is the empty server after one small warm-up round of the same kind.
  await redis.flushall();
  const shortEnv = { ...env, JOB_RETENTION_COMPLETED_S: '15', JOB_RETENTION_FAILED_S: '15' };
  const shortRepo = new JobRepository(redis, { queuePrefix: PREFIX }, loadEnv(shortEnv).jobs);
  // The worker does the index upkeep (and nothing else: the queue is empty).
  const worker = await startNode([join(ROOT, 'dist', 'worker.js')], shortEnv, /started/i);
  const expireAll = async (n) => {
    await fill(shortRepo, n, (i) => `user${i % RECIPIENTS}@example.com`);
    const peak = await usedMemory(redis);
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const left =
        (await countKeys(redis, `${PREFIX}:hash:*`)) +
        (await countKeys(redis, `${PREFIX}:index:*`));
      if (left === 0 || Date.now() - started > 300_000) break;
    }
    // Redis shrinks emptied hash tables on its own timer.
    await new Promise((r) => setTimeout(r, 3000));
    await redis.slowlog('RESET');
    return { peak, seconds: (Date.now() - started) / 1000 };
  };
  log('expiry: warm-up round of 1,000 jobs kept 15 s');
  await expireAll(1000);
  const emptyBaseline = await usedMemory(redis);
  log(`expiry: ${EXPIRY_JOBS.toLocaleString('en')} jobs kept 15 s`);
  const { peak, seconds } = await expireAll(EXPIRY_JOBS);
  const after = await usedMemory(redis);
  await stop(worker);
  const keysLeft = await redis.dbsize();
  const afterExpiry = {
    jobs: EXPIRY_JOBS,
    baseline: emptyBaseline,
    peak,
    after,
    percentAboveBaseline: ((after - emptyBaseline) / emptyBaseline) * 100,
    bytesPerJobLeft: (after - emptyBaseline) / EXPIRY_JOBS,
    keysLeft,
    seconds,
  };
  log(
    `after expiry: ${after} B vs baseline ${emptyBaseline} B (${afterExpiry.percentAboveBaseline.toFixed(1)} %), ${keysLeft} keys left, ${seconds.toFixed(0)} s`,
  );

  const report = {
    jobs: JOBS,
    recipients: RECIPIENTS,
    counts,
    bytesPerJobAll: (filled - baseline) / JOBS,
    indexBytesPerJob: index / JOBS,
    firstPage: results,
    slowestRedisCommandUs: slowest,
    slowCommands: slow.length,
    afterExpiry,
  };
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'listing.json'), JSON.stringify(report, null, 2));
  console.log(renderMarkdown(report));
  await server.stop();
}

function renderMarkdown(r) {
  const rows = Object.entries(r.firstPage)
    .map(
      ([q, v]) =>
        `| \`${q}\` | ${v.p50.toFixed(1)} | ${v.p99.toFixed(1)} | ${v.max.toFixed(1)} | ${v.jobs.toFixed(0)} |`,
    )
    .join('\n');
  return [
    `Listing with ${r.jobs.toLocaleString('en')} retained jobs (${r.recipients.toLocaleString('en')} recipients; ` +
      `completed ${r.counts.all - r.counts.failed - r.counts.cancelled}, failed ${r.counts.failed}, cancelled ${r.counts.cancelled}), first page, limit 50, ${SAMPLES} requests each:`,
    '',
    '| query | p50 ms | p99 ms | max ms | jobs/page |',
    '| --- | ---: | ---: | ---: | ---: |',
    rows,
    '',
    `Index memory: ${r.indexBytesPerJob.toFixed(1)} bytes per job (all Redis memory: ${r.bytesPerJobAll.toFixed(0)} bytes per job).`,
    `Redis commands slower than 1 ms during the listing: ${r.slowCommands} (slowest ${r.slowestRedisCommandUs} µs).`,
    `After ${r.afterExpiry.jobs.toLocaleString('en')} jobs kept 15 s expired (${r.afterExpiry.seconds.toFixed(0)} s, peak ${r.afterExpiry.peak} bytes): ` +
      `${r.afterExpiry.after} bytes against an empty baseline of ${r.afterExpiry.baseline} ` +
      `(${r.afterExpiry.percentAboveBaseline.toFixed(1)} % above, ${r.afterExpiry.bytesPerJobLeft.toFixed(2)} bytes per job), ` +
      `${r.afterExpiry.keysLeft} keys left (the worker's registry entry, lock and per-minute counts).`,
  ].join('\n');
}

async function allKeys(redis, pattern) {
  const keys = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

async function countKeys(redis, pattern) {
  return (await allKeys(redis, pattern)).length;
}

main().catch((error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
