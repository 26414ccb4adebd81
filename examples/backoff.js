// Simulated failures and exponential backoff: every send fails, so one job runs
// 1 + JOB_MAX_RETRIES times, with waits of base, 2*base, 4*base between attempts,
// and ends failed. Its status is polled and every change printed.
//
// Overrides (environment): JOB_BACKOFF_BASE_MS (1000), JOB_MAX_RETRIES (3),
// EMAIL_SIMULATED_DURATION_MS (0), POLL_MS (50, at most a fifth of the base).
'use strict';

const { runExample, sleep, offset, shortId, pad } = require('./lib');

const envInt = (name, fallback) =>
  process.env[name] === undefined || process.env[name] === ''
    ? fallback
    : Number(process.env[name]);

const BASE_MS = envInt('JOB_BACKOFF_BASE_MS', 1000);
const MAX_RETRIES = envInt('JOB_MAX_RETRIES', 3);
const SEND_MS = envInt('EMAIL_SIMULATED_DURATION_MS', 0);
const POLL_MS = Math.max(5, Math.min(envInt('POLL_MS', 50), Math.floor(BASE_MS / 5) || 50));

const backoffMs = (retry) => BASE_MS * 2 ** (retry - 1);
const rel = (ts, created) => (ts === null ? '-' : offset(ts - created));

runExample(
  'backoff',
  'Backoff example: every attempt fails; retries wait base, 2*base, 4*base',
  async (session) => {
    await session.startApi();
    await session.startWorker('worker', {
      WORKER_CONCURRENCY: '1',
      EMAIL_SIMULATED_FAILURE_RATE: '1',
      EMAIL_SIMULATED_DURATION_MS: String(SEND_MS),
      JOB_BACKOFF_BASE_MS: String(BASE_MS),
      JOB_MAX_RETRIES: String(MAX_RETRIES),
    });
    const waits = Array.from({ length: MAX_RETRIES }, (_, i) => backoffMs(i + 1));
    console.log(
      `API and one worker started: EMAIL_SIMULATED_FAILURE_RATE=1, JOB_BACKOFF_BASE_MS=${BASE_MS}, JOB_MAX_RETRIES=${MAX_RETRIES}.`,
    );
    console.log(
      `Expected: ${MAX_RETRIES + 1} attempts, waits of ${waits.map((w) => `${w / 1000} s`).join(', ')} between them, then failed.\n`,
    );

    const { job_id: id } = await session.post('/submit-job', {
      job_type: 'send_email',
      priority: 'high',
      payload: { to: 'bob@example.com', subject: 'Will not arrive' },
    });
    console.log(`Submitted job ${id}. Polling its status every ${POLL_MS} ms.`);
    console.log(`Timeline (times since the job's created_ts):\n`);
    console.log(
      `  seen at    ${pad('status', 10)}  retry  ${pad('picked_ts', 10)}  ${pad('available_after', 15)}  last_error`,
    );

    console.log(
      `  ${pad(offset(0), 9)}  ${pad('pending', 10)}  ${pad(0, 5)}  ${pad('-', 10)}  ${pad('-', 15)}  -   (created_ts)`,
    );

    const deadline = Date.now() + waits.reduce((a, b) => a + b, 0) * 2 + 20_000;
    const pickedSeen = [];
    let last = '';
    let sawProcessing = false;
    let job;
    for (;;) {
      job = await session.status(id);
      const created = job.created_ts;
      if (job.picked_ts !== null && !pickedSeen.includes(job.picked_ts)) {
        pickedSeen.push(job.picked_ts);
      }
      if (job.status === 'processing') sawProcessing = true;
      const key = `${job.status}|${job.retry_count}|${job.picked_ts}`;
      if (key !== last) {
        last = key;
        console.log(
          `  ${pad(offset(Date.now() / 1000 - created), 9)}  ${pad(job.status, 10)}  ${pad(job.retry_count, 5)}  ${pad(rel(job.picked_ts, created), 10)}  ${pad(rel(job.available_after, created), 15)}  ${job.last_error ?? '-'}`,
        );
      }
      if (job.status === 'failed' || job.status === 'completed') break;
      if (Date.now() > deadline) throw new Error(`job ${shortId(id)} did not finish in time`);
      await sleep(POLL_MS);
    }

    const created = job.created_ts;
    if (!sawProcessing) {
      console.log(
        `  (no poll caught 'processing': with EMAIL_SIMULATED_DURATION_MS=${SEND_MS} an attempt is over between two polls)`,
      );
    }
    console.log('\nAttempts (picked_ts, the server clock):');
    let gapsOk = true;
    let maxExtraMs = 0;
    pickedSeen.forEach((picked, i) => {
      let line = `  attempt ${i + 1}  ${offset(picked - created)}`;
      if (i > 0) {
        const gap = picked - pickedSeen[i - 1];
        const expected = backoffMs(i) / 1000;
        // Timestamps are stored to the millisecond: allow for that rounding.
        if (gap < expected - 0.002) gapsOk = false;
        maxExtraMs = Math.max(maxExtraMs, Math.round((gap - expected) * 1000));
        line += `   ${gap.toFixed(3)} s after attempt ${i}  (backoff ${expected} s)`;
      }
      console.log(line);
    });
    console.log(
      `\nFinal: ${job.status}, retry_count ${job.retry_count}, last_error "${job.last_error ?? ''}"` +
        ` (completed_ts ${rel(job.completed_ts, created)})`,
    );

    const attemptsOk = pickedSeen.length === MAX_RETRIES + 1;
    const finalOk = job.status === 'failed' && job.retry_count === MAX_RETRIES;
    console.log('');
    console.log(
      finalOk
        ? `OK: failed for good after ${MAX_RETRIES} retries.`
        : `UNEXPECTED: expected failed with retry_count ${MAX_RETRIES}.`,
    );
    console.log(
      attemptsOk
        ? `OK: ${pickedSeen.length} attempts seen.`
        : `UNEXPECTED: ${pickedSeen.length} attempts seen, expected ${MAX_RETRIES + 1}.`,
    );
    console.log(
      gapsOk
        ? `OK: each wait was at least its backoff (at most ${maxExtraMs} ms longer).`
        : 'UNEXPECTED: an attempt started before its backoff had elapsed.',
    );
    return finalOk && attemptsOk && gapsOk;
  },
);
