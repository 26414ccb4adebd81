#!/usr/bin/env node
'use strict';
/**
 * What one job costs a worker process: one worker (W=1, C=50) drains N no-op jobs,
 * measured as in bench/run.js (warm-up, frozen fill, timed drain), while V8's sampling
 * profiler runs in the worker (`node --cpu-prof`). Only the samples taken inside the
 * timed drain are counted. Prints, per system, the worker's CPU time per job (from
 * /proc, so without the profiler's own overhead in the per-job figure is a separate
 * run's), where it goes by code origin, and the top functions by self time.
 *
 *   node bench/profile-worker.js               (after npm run build)
 *   PROFILE_N=100000 node bench/profile-worker.js
 *   PROFILE_SYSTEMS=jobq node bench/profile-worker.js
 */
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative } = require('node:path');
const { startRedisServer } = require('./lib/redis');
const { killAll } = require('./lib/procs');
const { jobq, bullmq } = require('./lib/systems');
const { timedDrain, warmUp } = require('./lib/drain');

const N = Number(process.env.PROFILE_N ?? 50000);
const WARMUP = Number(process.env.PROFILE_WARMUP ?? 5000);
const SYSTEMS = (process.env.PROFILE_SYSTEMS ?? 'jobq,bullmq').split(',');
const TOP = Number(process.env.PROFILE_TOP ?? 15);
/** Sampling interval, µs (V8's default is 1000). */
const INTERVAL_US = 100;
const ROOT = join(__dirname, '..');

/** Where a function's code comes from, for the breakdown. */
function origin(url) {
  if (!url) return 'V8 / native';
  if (url.startsWith('node:')) return 'Node.js core';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1];
  if (path.includes('/dist/')) return 'this service (dist/)';
  if (path.startsWith(__dirname)) return 'benchmark worker script';
  return path;
}

function frameName(callFrame) {
  const name = callFrame.functionName || '(anonymous)';
  if (!callFrame.url) return name;
  const path = callFrame.url.replace(/^file:\/\//, '');
  const where = path.startsWith(ROOT) ? relative(ROOT, path) : path;
  return `${name} (${where}:${callFrame.lineNumber + 1})`;
}

/** Self time per function and per origin, over the samples inside [fromUs, toUs]. */
function summarize(profile, fromUs, toUs) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFrame = new Map();
  const byOrigin = new Map();
  let t = profile.startTime;
  let busy = 0;
  let idle = 0;
  let first = Infinity;
  let last = -Infinity;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) return;
    first = Math.min(first, t);
    last = Math.max(last, t);
    const { callFrame } = nodes.get(id);
    if (callFrame.functionName === '(idle)') {
      idle += 1;
      return;
    }
    busy += 1;
    const frame = frameName(callFrame);
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + 1);
    const from = callFrame.url ? origin(callFrame.url) : callFrame.functionName;
    byOrigin.set(from, (byOrigin.get(from) ?? 0) + 1);
  });
  const ranked = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return {
    busy,
    idle,
    /** The samples' own span: close to the drain's when both clocks agree. */
    sampledMs: (last - first) / 1000,
    frames: ranked(byFrame),
    origins: ranked(byOrigin),
  };
}

async function profileOne(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'jobq-profile-'));
  const redis = await startRedisServer();
  const system = kind === 'jobq' ? jobq(redis.url, 'profile') : bullmq(redis.url, 'profile');
  try {
    const worker = await system.startWorker(50, [
      '--cpu-prof',
      '--cpu-prof-dir',
      dir,
      '--cpu-prof-interval',
      String(INTERVAL_US),
    ]);
    await warmUp(redis, system, [worker], WARMUP);
    const drained = await timedDrain(redis, system, [worker], N);
    // The profile is written when the process exits normally: SIGTERM, not SIGKILL.
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${kind}: the worker wrote no CPU profile`);
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    // V8's profile clock and process.hrtime are both CLOCK_MONOTONIC (µs and ns).
    const summary = summarize(profile, Number(drained.start / 1000n), Number(drained.end / 1000n));
    return { kind, drained, ...summary };
  } finally {
    await system.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(r) {
  const label = r.kind === 'jobq' ? 'This service (`node dist/worker.js`)' : 'BullMQ `Worker`';
  const perJob = r.drained.workerCpuUs;
  const share = (n) => n / r.busy;
  const us = (n) => (share(n) * perJob).toFixed(1);
  const pct = (n) => `${(share(n) * 100).toFixed(1)} %`;
  const lines = [
    `### ${label}`,
    '',
    `${Math.round(r.drained.rate).toLocaleString('en-US')} jobs/s while profiled; worker CPU ${perJob.toFixed(1)} µs per job (user + system, from /proc, profiler included); ` +
      `${r.busy.toLocaleString('en-US')} busy and ${r.idle.toLocaleString('en-US')} idle samples (asked: one per ${INTERVAL_US} µs) ` +
      `spanning ${Math.round(r.sampledMs)} ms of the ${Math.round(Number(r.drained.end - r.drained.start) / 1e6)} ms drain.`,
    '',
    '| Code origin | Self time | µs per job |',
    '|---|---:|---:|',
    ...r.origins.slice(0, 10).map(([name, n]) => `| ${name} | ${pct(n)} | ${us(n)} |`),
    '',
    '| Function (self time) | Share | µs per job |',
    '|---|---:|---:|',
    ...r.frames.slice(0, TOP).map(([name, n]) => `| \`${name}\` | ${pct(n)} | ${us(n)} |`),
    '',
  ];
  return lines.join('\n');
}

async function main() {
  const out = [
    `Worker profile: W=1, C=50, ${N.toLocaleString('en-US')} no-op jobs after ${WARMUP.toLocaleString('en-US')} of warm-up; Node ${process.version}.`,
    '',
  ];
  for (const kind of SYSTEMS) {
    console.error(`[profile] ${kind}`);
    out.push(report(await profileOne(kind)));
  }
  console.log(out.join('\n'));
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  },
);
