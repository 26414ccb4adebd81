#!/usr/bin/env node
'use strict';
/**
 * CPU profile of the request path: the built API (`node --cpu-prof dist/main.js`, no
 * worker, no rate limit) on a redis-server of its own, under the same closed-loop load
 * as the benchmark, one API process per scenario:
 *
 *   single   POST /submit-job, 50 in flight
 *   invalid  POST /submit-job with an invalid priority (400, nothing written), 50 in flight
 *   bulk     POST /submit-jobs with 1,000 jobs per call, 4 in flight
 *
 * For each: requests/s, the API process's CPU time per request (and per job for bulk)
 * from /proc/<pid>/stat over the measured window, and the top frames by self time from
 * the .cpuprofile (which also covers start-up and warm-up; start-up is excluded by
 * starting the profile's clock at the first request... approximately, see below).
 *
 *   npm run build && node bench/profile-request.js [seconds=5] [out-dir]
 *
 * The .cpuprofile files are kept in out-dir (default: a temp dir) for Chrome DevTools.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { freePort, startRedisServer } = require('./lib/redis');
const { startNode, killAll } = require('./lib/procs');
const { jobq, PAYLOAD } = require('./lib/systems');

const SECONDS = Number(process.argv[2] ?? 5);
const OUT = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'jobq-profile-'));
const TICK_US = 1e6 / 100; // /proc/<pid>/stat counts in clock ticks (USER_HZ = 100)
const job = { job_type: 'send_email', priority: 'high', payload: PAYLOAD };

function load(options) {
  const out = execFileSync(
    process.execPath,
    [join(__dirname, 'lib', 'http-load.js'), JSON.stringify(options)],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

/** utime + stime of a process, in µs. */
function cpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Self time per function (name file:line) over the whole profile, idle and GC apart. */
function topFrames(profilePath, count) {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    const file = url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
  return { totalMs: total / 1000, rows: rows.map(([k, us]) => [k, (100 * us) / total]) };
}

async function scenario(redisUrl, name, options, jobsPerRequest) {
  const dir = join(OUT, name);
  const port = await freePort();
  const api = await startNode(
    [`--cpu-prof`, `--cpu-prof-dir=${dir}`, join(__dirname, '..', 'dist', 'main.js')],
    { ...jobq(redisUrl, `profile-${name}`).apiEnv, PORT: String(port) },
    /API listening/,
  );
  const url = `http://127.0.0.1:${port}${options.path}`;
  // Warm-up in its own run, so the JIT has settled before the measured window.
  load({ ...options, url, durationMs: 2000, warmupMs: 0 });
  const before = cpuUs(api.pid);
  const result = load({ ...options, url, durationMs: SECONDS * 1000, warmupMs: 0 });
  const cpu = cpuUs(api.pid) - before;
  const exited = new Promise((resolve) => api.once('exit', resolve));
  api.kill('SIGINT'); // a clean exit writes the .cpuprofile
  await exited;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const frames = topFrames(join(dir, file), 15);
  const perRequest = cpu / Math.max(1, result.completed + result.errors);
  return { name, result, perRequest, perJob: perRequest / jobsPerRequest, frames, file };
}

async function main() {
  const redis = await startRedisServer();
  const reports = [];
  try {
    reports.push(
      await scenario(
        redis.url,
        'single',
        { path: '/submit-job', body: job, concurrency: 50, expect: 201 },
        1,
      ),
    );
    reports.push(
      await scenario(
        redis.url,
        'invalid',
        { path: '/submit-job', body: { ...job, priority: 'urgent' }, concurrency: 50, expect: 400 },
        1,
      ),
    );
    reports.push(
      await scenario(
        redis.url,
        'bulk',
        {
          path: '/submit-jobs',
          body: { jobs: Array.from({ length: 1000 }, () => job) },
          concurrency: 4,
          expect: 201,
        },
        1000,
      ),
    );
  } finally {
    await redis.stop();
  }
  for (const r of reports) {
    const { rate, p50, p99, completed, errors } = r.result;
    console.log(
      `\n## ${r.name}: ${Math.round(rate).toLocaleString('en-US')} req/s (p50 ${p50?.toFixed(1)} ms, ` +
        `p99 ${p99?.toFixed(1)} ms, ${completed} ok, ${errors} other); API CPU ` +
        `${r.perRequest.toFixed(0)} µs per request` +
        (r.name === 'bulk' ? `, ${r.perJob.toFixed(1)} µs per job` : ''),
    );
    console.log(`profile ${join(OUT, r.name, r.file)} (${r.frames.totalMs.toFixed(0)} ms busy)`);
    for (const [frame, pct] of r.frames.rows)
      console.log(`  ${pct.toFixed(1).padStart(5)} %  ${frame}`);
  }
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
