// Multiple workers: 3 worker processes, 2 jobs at a time each, share 30 jobs.
//
// The service does not log each job, so jobs are attributed another way: while a
// job runs, it is a member of <prefix>:inflight and its hash holds lease_token,
// the token of the claim that owns it; every token starts with the claiming
// worker's id (host:pid:random, as each worker logs at start-up). The example
// samples both every 20 ms; a job is held for at least EMAIL_SIMULATED_DURATION_MS
// (200 ms), so none is missed.
//
// Overrides (environment): WORKERS (3), WORKER_CONCURRENCY (2), JOBS (30),
// EMAIL_SIMULATED_DURATION_MS (200).
'use strict';

const { runExample, waitUntil, sleep, pad, padLeft } = require('./lib');

const envInt = (name, fallback) =>
  process.env[name] === undefined || process.env[name] === ''
    ? fallback
    : Number(process.env[name]);

const WORKERS = envInt('WORKERS', 3);
const CONCURRENCY = envInt('WORKER_CONCURRENCY', 2);
const JOBS = envInt('JOBS', 30);
const SEND_MS = envInt('EMAIL_SIMULATED_DURATION_MS', 200);
const SAMPLE_MS = 20;

runExample(
  'workers',
  `Workers example: ${WORKERS} worker processes share ${JOBS} jobs`,
  async (session) => {
    await session.startApi();
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) =>
        session.startWorker(`worker ${i + 1}`, {
          WORKER_CONCURRENCY: String(CONCURRENCY),
          EMAIL_SIMULATED_DURATION_MS: String(SEND_MS),
          EMAIL_SIMULATED_FAILURE_RATE: '0',
        }),
      ),
    );
    console.log(
      `API and ${WORKERS} workers started (WORKER_CONCURRENCY=${CONCURRENCY} each, sends take ${SEND_MS} ms):`,
    );
    for (const w of workers) console.log(`  ${w.label}: pid ${w.child.pid}, id ${w.workerId}`);

    const inflightKey = `${session.prefix}:inflight`;
    const hashKey = (id) => `${session.prefix}:hash:${id}`;
    /** Jobs in flight right now, with the lease token that owns each. */
    async function inFlight() {
      const ids = await session.redis.zrange(inflightKey, 0, -1);
      if (ids.length === 0) return [];
      const pipeline = session.redis.pipeline();
      for (const id of ids) pipeline.hget(hashKey(id), 'lease_token');
      const replies = await pipeline.exec();
      return ids.map((id, i) => [id, replies[i][1] || '']);
    }

    const owner = new Map(); // job id -> worker label (first claim seen)
    const reclaimed = new Set(); // jobs seen under a second worker (not expected here)
    let maxInFlight = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const entries = await inFlight();
        maxInFlight = Math.max(maxInFlight, entries.length);
        for (const [jobId, token] of entries) {
          if (!token) continue; // settled between the two reads
          const w = workers.find((worker) => token.startsWith(`${worker.workerId}:`));
          const label = w ? w.label : 'unknown';
          if (!owner.has(jobId)) owner.set(jobId, label);
          else if (owner.get(jobId) !== label) reclaimed.add(jobId);
        }
        await sleep(SAMPLE_MS);
      }
    })();

    const jobs = Array.from({ length: JOBS }, (_, i) => ({
      job_type: 'send_email',
      priority: i % 2 === 0 ? 'high' : 'low',
      payload: { to: `user${i + 1}@example.com`, subject: `Message ${i + 1}` },
    }));
    const started = Date.now();
    const { job_ids: ids } = await session.post('/submit-jobs', { jobs });
    console.log(`\nSubmitted ${ids.length} jobs in one POST /submit-jobs. Waiting for them...`);

    try {
      await waitUntil(
        async () => {
          const all = await Promise.all(ids.map((id) => session.status(id)));
          return all.every((s) => s.status === 'completed');
        },
        30_000 + (JOBS * SEND_MS) / CONCURRENCY,
        'every job to complete',
        25,
      );
    } finally {
      sampling = false;
      await sampler;
    }
    const elapsed = (Date.now() - started) / 1000;
    const slots = WORKERS * CONCURRENCY;
    const ideal = (Math.ceil(JOBS / slots) * SEND_MS) / 1000;

    console.log(
      `All ${JOBS} completed in ${elapsed.toFixed(2)} s (${(JOBS / elapsed).toFixed(1)} jobs/s).`,
    );
    console.log(
      `  One worker running one job at a time would need ${((JOBS * SEND_MS) / 1000).toFixed(1)} s; ${slots} slots need at least ${ideal.toFixed(1)} s.`,
    );

    console.log('\nJobs per worker (from the lease tokens of the jobs in flight):');
    const counts = new Map(workers.map((w) => [w.label, 0]));
    for (const label of owner.values()) counts.set(label, (counts.get(label) ?? 0) + 1);
    for (const [label, count] of counts) {
      console.log(`  ${pad(label, 9)}  ${padLeft(count, 3)}  ${'#'.repeat(count)}`);
    }
    const missed = ids.filter((id) => !owner.has(id)).length;
    if (missed > 0) console.log(`  not observed (finished between two samples): ${missed}`);
    if (reclaimed.size > 0) console.log(`  claimed by more than one worker: ${reclaimed.size}`);
    console.log(
      `\nMost jobs in flight at once: ${maxInFlight} (${WORKERS} workers x ${CONCURRENCY}).`,
    );

    const everyWorkerBusy = workers.every((w) => counts.get(w.label) > 0);
    const parallel = maxInFlight === slots;
    console.log('');
    console.log(
      everyWorkerBusy
        ? 'OK: every worker processed jobs.'
        : 'UNEXPECTED: a worker processed no job.',
    );
    console.log(
      reclaimed.size === 0
        ? 'OK: no job was claimed by two workers.'
        : `UNEXPECTED: ${reclaimed.size} job(s) were claimed by two workers.`,
    );
    console.log(
      parallel
        ? `OK: all ${slots} slots were busy at the same time.`
        : `UNEXPECTED: at most ${maxInFlight} of ${slots} slots were busy at once.`,
    );
    return everyWorkerBusy && parallel && reclaimed.size === 0;
  },
);
