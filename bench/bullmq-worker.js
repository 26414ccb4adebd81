'use strict';
// A BullMQ worker process for the side-by-side benchmark: no-op jobs, concurrency C.
const { Worker } = require('bullmq');
const Redis = require('ioredis');

const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const worker = new Worker(process.env.BULL_QUEUE, async () => undefined, {
  connection,
  concurrency: Number(process.env.CONCURRENCY),
  autorun: false,
});
worker.on('error', () => undefined);
void worker.run();
worker.waitUntilReady().then(() => console.log('bullmq worker ready'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
