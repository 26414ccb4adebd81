'use strict';
// The two systems under test, behind one interface, so every measurement runs the
// same steps on both: this service (built code in dist/) and BullMQ.
require('reflect-metadata');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { Queue } = require('bullmq');
const Redis = require('ioredis');
const { startNode, stop } = require('./procs');

const ROOT = join(__dirname, '..', '..');
const { JobRepository } = require(join(ROOT, 'dist', 'queue', 'job.repository.js'));
const { loadEnv } = require(join(ROOT, 'dist', 'config', 'env.js'));

const PAYLOAD = { to: 'bench@example.com', subject: 'Benchmark', body: 'Hello' };

function connect(url) {
  const client = new Redis(url, { maxRetriesPerRequest: null, protocol: 2 });
  client.on('error', () => undefined);
  return client;
}

/** This service, run as it is deployed: `node dist/worker.js` processes. */
function jobq(redisUrl, name, extraEnv = {}) {
  const prefix = `bench:${name}`;
  const client = connect(redisUrl);
  const workerEnv = (concurrency) => ({
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: String(concurrency),
    EMAIL_TRANSPORT: 'simulated',
    EMAIL_SIMULATED_DURATION_MS: '0',
    EMAIL_SIMULATED_FAILURE_RATE: '0',
    LOG_LEVEL: 'log',
    // The published figures are with claim-ahead on (opt-in; docs/performance.md):
    // WORKER_CLAIM_AHEAD=false in the benchmark's environment measures the default.
    WORKER_CLAIM_AHEAD: process.env.WORKER_CLAIM_AHEAD ?? 'true',
    ...extraEnv,
  });
  // Jobs are submitted from here with the settings the workers run with (events, retention).
  const repo = new JobRepository(client, { queuePrefix: prefix }, loadEnv(workerEnv(1)).jobs);
  const keys = repo.keys;
  const newJobs = (n, delayMs) =>
    Array.from({ length: n }, () => ({
      id: randomUUID(),
      type: 'send_email',
      priority: 'high',
      payloadJson: JSON.stringify(PAYLOAD),
      recipient: PAYLOAD.to,
      ...(delayMs ? { due: { delayMs } } : {}),
    }));
  return {
    label: 'this service',
    prefix,
    client,
    apiEnv: {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      WORKER_ENABLED: 'false',
      LOG_LEVEL: 'log',
      // One client sends everything: the per-client limits are off unless a
      // measurement turns them on (see LIMITER_ON in bench/run.js).
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
    },
    /** Submits n jobs in one call; returns their ids. */
    async add(n = 1) {
      const jobs = newJobs(n);
      await repo.submit(jobs);
      return jobs.map((job) => job.id);
    },
    /** Submits one job scheduled delayMs ahead (`delay_ms` of the API). */
    async addDelayed(delayMs) {
      await repo.submit(newJobs(1, delayMs));
    },
    /** Keys that exist while any job is waiting, running or due for a retry. */
    pendingKeys: [keys.high, keys.low, keys.inflight, keys.delayed],
    /** The job's hash, which the status route reads. */
    hashKey: (id) => keys.hash(id),
    startWorker(concurrency, nodeArgs = []) {
      return startNode(
        [...nodeArgs, join(ROOT, 'dist', 'worker.js')],
        workerEnv(concurrency),
        /Worker .* started/,
      );
    },
    /**
     * picked_ts - created_ts of every job, ms (Redis clock, ms resolution), less
     * `delayMs` for jobs scheduled that far ahead (their lateness).
     */
    async pickupLatencies(delayMs = 0) {
      const ids = [];
      let cursor = '0';
      do {
        const [next, found] = await client.scan(
          cursor,
          'MATCH',
          `${keys.hashPrefix}*`,
          'COUNT',
          1000,
        );
        ids.push(...found);
        cursor = next;
      } while (cursor !== '0');
      const pipeline = client.pipeline();
      for (const key of ids) pipeline.hmget(key, 'created_ts', 'picked_ts');
      return (await pipeline.exec()).map(([, [c, p]]) =>
        Math.round((Number(p) - Number(c)) * 1000 - delayMs),
      );
    },
    close() {
      client.disconnect();
    },
  };
}

/** BullMQ 6 with the same work: no-op jobs in worker processes of the same concurrency. */
function bullmq(redisUrl, name, { keepCompleted = false } = {}) {
  const queueName = `bench-${name}`;
  const client = connect(redisUrl);
  const queue = new Queue(queueName, { connection: connect(redisUrl) });
  const opts = { removeOnComplete: !keepCompleted };
  return {
    label: 'BullMQ',
    client,
    queueName,
    async add(n = 1) {
      if (n === 1) await queue.add('send_email', PAYLOAD, opts);
      else
        await queue.addBulk(
          Array.from({ length: n }, () => ({ name: 'send_email', data: PAYLOAD, opts })),
        );
    },
    /** One job with BullMQ's `delay` option. */
    async addDelayed(delayMs) {
      await queue.add('send_email', PAYLOAD, { ...opts, delay: delayMs });
    },
    pendingKeys: ['wait', 'paused', 'active', 'prioritized', 'delayed'].map((k) => queue.keys[k]),
    startWorker(concurrency, nodeArgs = []) {
      return startNode(
        [...nodeArgs, join(__dirname, '..', 'bullmq-worker.js')],
        { REDIS_URL: redisUrl, BULL_QUEUE: queueName, CONCURRENCY: String(concurrency) },
        /bullmq worker ready/,
      );
    },
    async pickupLatencies(delayMs = 0) {
      const jobs = await queue.getJobs(['completed'], 0, -1);
      return jobs.map((job) => job.processedOn - job.timestamp - delayMs);
    },
    close() {
      client.disconnect();
      return queue.close();
    },
  };
}

module.exports = { jobq, bullmq, stop, PAYLOAD };
