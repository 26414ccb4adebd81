'use strict';
/**
 * The systems a soak run measures, each on a redis-server of its own: this service
 * (`node dist/main.js` with WORKER_ENABLED=false + N `node dist/worker.js`) and BullMQ
 * (bench/bullmq-http-server.js + N bench/bullmq-worker.js), doing the same work:
 * simulated sends of `sendMs` that fail at `failureRate`, 4 attempts with exponential
 * backoff from `backoffBaseMs`, completed jobs kept `retentionS`, failed ones 7 days.
 * Every process runs with soak-probe.js preloaded and an IPC channel, so the run can
 * ask it for its heap. Each system reads its jobs' state the way its own API does.
 */
const { join } = require('node:path');
const { Queue } = require('bullmq');
const { freePort, startRedisServer } = require('./redis');
const { startNode, stop } = require('./procs');
const { MeasuredProcess } = require('./soak-memory');

const ROOT = join(__dirname, '..', '..');
const PROBE = join(__dirname, 'soak-probe.js');
const ATTEMPTS = 4;

/** A timestamp field as a number; NaN when absent or empty (the job was removed meanwhile). */
const numeric = (field) => (field ? Number(field) : NaN);
const FAILED_RETENTION_S = 604800;

/** This service: jobs read from their hashes, as GET /jobs/status does. */
function jobq(o, redisUrl, port) {
  const { JobKeys } = require(join(ROOT, 'dist', 'queue', 'job-keys.js'));
  const keys = new JobKeys('soak');
  const common = {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: keys.prefix,
    LOG_LEVEL: 'log',
    EMAIL_TRANSPORT: 'simulated',
    EMAIL_SIMULATED_DURATION_MS: String(o.sendMs),
    EMAIL_SIMULATED_FAILURE_RATE: String(o.failureRate),
    JOB_MAX_RETRIES: String(ATTEMPTS - 1),
    JOB_BACKOFF_BASE_MS: String(o.backoffBaseMs),
    JOB_RETENTION_COMPLETED_S: String(o.retentionS),
    JOB_RETENTION_FAILED_S: String(FAILED_RETENTION_S),
  };
  return {
    label: 'this service',
    api: {
      script: join(ROOT, 'dist', 'main.js'),
      env: {
        ...common,
        PORT: String(port),
        HOST: '127.0.0.1',
        WORKER_ENABLED: 'false',
        // One client sends everything: the per-client limit is off.
        RATE_LIMIT_PER_MINUTE: '0',
      },
      ready: /API listening/,
    },
    worker: {
      script: join(ROOT, 'dist', 'worker.js'),
      env: { ...common, WORKER_CONCURRENCY: String(o.concurrency) },
      ready: /Worker .* started/,
    },
    stateReader(client) {
      return async (ids) => {
        const pipeline = client.pipeline();
        for (const id of ids) pipeline.hmget(keys.hash(id), 'status', 'created_ts', 'completed_ts');
        return (await pipeline.exec()).map(([error, [status, created, completed]]) => {
          if (error) throw error;
          if (status === null) return { state: 'missing' };
          if (status === 'completed') {
            return { state: status, e2eMs: (numeric(completed) - numeric(created)) * 1000 };
          }
          return { state: status === 'failed' ? status : 'pending' };
        });
      };
    },
  };
}

/** BullMQ: jobs read with Queue.getJobState, timestamps from the job's hash. */
function bullmq(o, redisUrl, port) {
  const queueName = 'soak';
  const jobOptions = {
    attempts: ATTEMPTS,
    backoff: { type: 'exponential', delay: o.backoffBaseMs },
    removeOnComplete: { age: o.retentionS },
    removeOnFail: { age: FAILED_RETENTION_S },
  };
  const env = { REDIS_URL: redisUrl, BULL_QUEUE: queueName };
  return {
    label: 'BullMQ',
    api: {
      script: join(__dirname, '..', 'bullmq-http-server.js'),
      env: { ...env, PORT: String(port), BULL_JOB_OPTIONS: JSON.stringify(jobOptions) },
      ready: /bullmq http ready/,
    },
    worker: {
      script: join(__dirname, '..', 'bullmq-worker.js'),
      env: {
        ...env,
        CONCURRENCY: String(o.concurrency),
        SIM_DURATION_MS: String(o.sendMs),
        SIM_FAILURE_RATE: String(o.failureRate),
      },
      ready: /bullmq worker ready/,
    },
    stateReader(client) {
      const queue = new Queue(queueName, { connection: client });
      return async (ids) => {
        const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
        const pipeline = client.pipeline();
        for (const id of ids) pipeline.hmget(queue.toKey(id), 'timestamp', 'finishedOn');
        const times = await pipeline.exec();
        return states.map((state, i) => {
          if (state === 'unknown') return { state: 'missing' };
          if (state === 'completed') {
            const [created, finished] = times[i][1];
            return { state, e2eMs: numeric(finished) - numeric(created) };
          }
          return { state: state === 'failed' ? state : 'pending' };
        });
      };
    },
  };
}

const KINDS = { jobq, bullmq };

/** api first, then worker-1, worker-2, ... */
const order = (name) => (name === 'api' ? 0 : Number(name.slice('worker-'.length)));

/**
 * Starts one system: its redis-server, API and workers (each with the probe). The
 * result's `processes` are MeasuredProcess-es; `exits` collects any process that ends
 * before stop().
 */
async function startSystem(kind, o) {
  const redis = await startRedisServer();
  const port = await freePort();
  const spec = KINDS[kind](o, redis.url, port);
  const system = {
    kind,
    label: spec.label,
    redis,
    baseUrl: `http://127.0.0.1:${port}`,
    processes: [],
    exits: [],
    stopping: false,
    readStates: spec.stateReader(redis.client),
    async stop() {
      this.stopping = true;
      await Promise.all(this.processes.map((p) => stop(p.child)));
      await redis.stop();
    },
  };
  const start = async (name, { script, env, ready }) => {
    const child = await startNode(['-r', PROBE, script], env, ready, { ipc: true });
    child.once('exit', (code, signal) => {
      if (!system.stopping) system.exits.push({ name, code, signal, at: Date.now() });
    });
    system.processes.push(new MeasuredProcess(name, child));
  };
  try {
    await Promise.all([
      start('api', spec.api),
      ...Array.from({ length: o.workers }, (_, i) => start(`worker-${i + 1}`, spec.worker)),
    ]);
    // In the order the reports show them, whatever order they became ready in.
    system.processes.sort((a, b) => order(a.name) - order(b.name));
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

module.exports = { startSystem };
