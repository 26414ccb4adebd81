'use strict';
// The drain measurement, run the same way for both systems:
//
//   1. W worker processes are started and warmed up: they drain WARMUP jobs, so both
//      sides run JIT-compiled code when timing starts;
//   2. once every worker is blocked in Redis waiting for work (CLIENT LIST flag `b`),
//      all worker processes are frozen (SIGSTOP) and N jobs are submitted in calls
//      of 1,000 (neither side can start on them: no queue-specific pause is needed,
//      and no job is done before timing starts);
//   3. timing starts and the workers are resumed (SIGCONT): the wake-up each of them
//      received from Redis while frozen is read at once;
//   4. the queue is drained when none of its pending keys exists any more (both
//      systems delete a list or sorted set when it empties): one EXISTS every 5 ms,
//      the only command the benchmark sends while the workers run.
const { readFileSync } = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const { redisCpuSeconds } = require('./redis');

const POLL_MS = 5;
/** Linux reports process CPU time in clock ticks; 100 per second everywhere we run. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const workersCpuSeconds = (procs) => procs.reduce((sum, p) => sum + processCpuSeconds(p.pid), 0);

/** Resolves once `count` connections are blocked in a command (BZPOPMIN for both systems). */
async function waitBlocked(client, count, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await client.client('LIST');
    const blocked = list.split('\n').filter((line) => /\bflags=\w*b/.test(line)).length;
    if (blocked >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${blocked} of ${count} workers went idle`);
    await sleep(POLL_MS);
  }
}

async function waitEmpty(client, keys) {
  while ((await client.exists(...keys)) > 0) await sleep(POLL_MS);
}

async function fill(system, n) {
  for (let done = 0; done < n; done += 1000) await system.add(Math.min(1000, n - done));
}

/** Runs `n` jobs through the started worker processes without timing them. */
async function warmUp(redis, system, procs, n) {
  if (n <= 0) return;
  await waitBlocked(redis.client, procs.length);
  await fill(system, n);
  await waitEmpty(redis.client, system.pendingKeys);
}

/**
 * Times the drain of `n` jobs by the started (and warmed-up) worker processes.
 * Returns jobs/s, Redis CPU µs per job, worker-process CPU µs per job (all W summed),
 * and the monotonic start and end of the timed window (ns, process.hrtime clock).
 */
async function timedDrain(redis, system, procs, n) {
  await waitBlocked(redis.client, procs.length);
  for (const p of procs) p.kill('SIGSTOP');
  try {
    await fill(system, n);
  } catch (error) {
    for (const p of procs) p.kill('SIGCONT');
    throw error;
  }
  const redisCpu0 = await redisCpuSeconds(redis.client);
  const workerCpu0 = workersCpuSeconds(procs);
  const start = process.hrtime.bigint();
  for (const p of procs) p.kill('SIGCONT');
  await waitEmpty(redis.client, system.pendingKeys);
  const end = process.hrtime.bigint();
  const workerCpu1 = workersCpuSeconds(procs);
  const redisCpu1 = await redisCpuSeconds(redis.client);
  const seconds = Number(end - start) / 1e9;
  return {
    rate: n / seconds,
    redisCpuUs: ((redisCpu1 - redisCpu0) / n) * 1e6,
    workerCpuUs: ((workerCpu1 - workerCpu0) / n) * 1e6,
    start,
    end,
  };
}

module.exports = { timedDrain, warmUp, waitBlocked, waitEmpty, fill, processCpuSeconds };
