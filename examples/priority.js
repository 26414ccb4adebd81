// High vs low priority: with no worker running, 5 low then 5 high jobs are
// submitted; then one worker running one job at a time starts. The order in which
// it picked them (picked_ts) shows strict priority and FIFO within a priority.
'use strict';

const { runExample, waitUntil, offset, shortId, pad, padLeft } = require('./lib');

const PER_PRIORITY = 5;
const SEND_MS = Number(process.env.EMAIL_SIMULATED_DURATION_MS || 100);

runExample(
  'priority',
  'Priority example: strict priority, FIFO within a priority',
  async (session) => {
    await session.startApi();
    console.log('API started (no worker yet). Submitting 5 low, then 5 high jobs:');

    const jobs = [];
    for (const priority of ['low', 'high']) {
      for (let i = 0; i < PER_PRIORITY; i++) {
        const n = jobs.length + 1;
        const { job_id } = await session.post('/submit-job', {
          job_type: 'send_email',
          priority,
          payload: { to: `user${n}@example.com`, subject: `Message ${n}` },
        });
        jobs.push({ n, priority, id: job_id });
        console.log(`  submitted #${padLeft(n, 2)}  ${pad(priority, 4)}  ${shortId(job_id)}`);
      }
    }

    console.log(
      `\nStarting one worker: WORKER_CONCURRENCY=1, each send takes ${SEND_MS} ms, no failures.`,
    );
    await session.startWorker('worker', {
      WORKER_CONCURRENCY: '1',
      EMAIL_SIMULATED_DURATION_MS: String(SEND_MS),
      EMAIL_SIMULATED_FAILURE_RATE: '0',
    });
    const started = Date.now();

    const done = await waitUntil(
      async () => {
        const all = await Promise.all(jobs.map((job) => session.status(job.id)));
        return all.every((s) => s.status === 'completed') && all;
      },
      30_000 + jobs.length * SEND_MS * 2,
      'every job to complete',
    );
    console.log(
      `All ${jobs.length} jobs completed ${((Date.now() - started) / 1000).toFixed(1)} s after the worker was up.`,
    );

    const picked = jobs
      .map((job, i) => ({ ...job, pickedTs: done[i].picked_ts }))
      .sort((a, b) => a.pickedTs - b.pickedTs);
    const first = picked[0].pickedTs;

    console.log('\nOrder in which the worker picked the jobs (sorted by picked_ts):');
    console.log('  pick  priority  submitted  job id    picked at');
    picked.forEach((job, i) => {
      console.log(
        `  ${padLeft(i + 1, 4)}  ${pad(job.priority, 8)}  ${pad(`#${job.n}`, 9)}  ${shortId(job.id)}  ${offset(job.pickedTs - first)}`,
      );
    });

    const lastHigh = Math.max(...picked.flatMap((j, i) => (j.priority === 'high' ? [i] : [])));
    const firstLow = picked.findIndex((j) => j.priority === 'low');
    const highFirst = lastHigh < firstLow;
    const fifo = ['high', 'low'].every((priority) => {
      const order = picked.filter((j) => j.priority === priority).map((j) => j.n);
      return order.every((n, i) => i === 0 || n > order[i - 1]);
    });

    console.log('');
    console.log(
      highFirst
        ? `OK: all ${PER_PRIORITY} high jobs were picked before any low job, although submitted after them.`
        : 'UNEXPECTED: a low job was picked before a high one.',
    );
    console.log(
      fifo
        ? 'OK: within each priority, jobs were picked in submission order (FIFO).'
        : 'UNEXPECTED: within a priority, jobs were not picked in submission order.',
    );
    return highFirst && fifo;
  },
);
