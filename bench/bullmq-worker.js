'use strict';
// A BullMQ worker process for the side-by-side runs, concurrency C. Jobs are no-ops, or,
// with SIM_DURATION_MS / SIM_FAILURE_RATE (the soak run), simulated sends like this
// service's EMAIL_TRANSPORT=simulated: a wait, then a failure at that rate.
const { setTimeout: sleep } = require('node:timers/promises');
const { Worker } = require('bullmq');
const Redis = require('ioredis');

const durationMs = Number(process.env.SIM_DURATION_MS ?? 0);
const failureRate = Number(process.env.SIM_FAILURE_RATE ?? 0);

async function simulatedSend() {
  if (durationMs > 0) await sleep(durationMs);
  if (failureRate > 0 && Math.random() < failureRate) throw new Error('simulated send failure');
}

const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const processor = durationMs > 0 || failureRate > 0 ? simulatedSend : async () => undefined;
const worker = new Worker(process.env.BULL_QUEUE, processor, {
  connection,
  concurrency: Number(process.env.CONCURRENCY),
  autorun: false,
});
worker.on('error', () => undefined);
void worker.run();
worker.waitUntilReady().then(() => console.log('bullmq worker ready'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
