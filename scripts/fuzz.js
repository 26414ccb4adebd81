#!/usr/bin/env node
// Fuzzes the HTTP API: starts the built API (node dist/main.js, no worker) on a free
// port with its own QUEUE_PREFIX, sends 20,000 generated requests (16 in flight) from
// the generators test/fuzz.e2e-spec.ts uses (test/support/fuzz-cases.js), checks every
// response, then checks Redis: exactly the jobs the 201s reported exist, each on its
// queue with the payload sent and one entry in each listing index it belongs to, and
// nothing else. Prints counts by status and by family,
// deletes its keys, stops the API; exits 1 if any invariant failed.
//
//   npm run fuzz                          build, then run with a random seed
//   FUZZ_SEED=123 npm run fuzz            replay a run (same cases)
//   FUZZ_RUNS=5000 FUZZ_CONCURRENCY=8     fewer requests, fewer in flight
//   REDIS_URL=redis://host:6379           Redis to use (default redis://127.0.0.1:6379)
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes, randomInt } = require('node:crypto');
const { createServer } = require('node:net');
const { join } = require('node:path');
const fc = require('fast-check');
const Redis = require('ioredis');
const fuzz = require('../test/support/fuzz-cases');
// Built just before (npm run fuzz builds first): how the listing indexes name a job.
const { compactId, indexMember, recipientKey, recipientOf } = require(
  join(__dirname, '..', 'dist', 'queue', 'index-members'),
);

const ROOT = join(__dirname, '..');
const TOTAL = positiveInt('FUZZ_RUNS', 20_000);
const CONCURRENCY = positiveInt('FUZZ_CONCURRENCY', 16);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31 - 1);
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const PREFIX = `fuzz:${randomBytes(4).toString('hex')}`;
const CHUNK = 500;
const SHOW_VIOLATIONS = 15;

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer (got "${raw}")`);
    process.exit(2);
  }
  return n;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts dist/main.js and resolves once it logs "API listening". */
async function startApi(port) {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      WORKER_ENABLED: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL,
      QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: 'log',
      // One client sends everything: no rate limit, no API keys, no CORS.
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_READS_PER_MINUTE: '0',
      API_KEYS: '',
      CORS_ORIGINS: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = { text: '', errors: 0 };
  const onData = (chunk) => {
    const text = chunk.toString();
    log.errors += (text.match(/\bERROR\b/g) ?? []).length;
    if (log.text.length < 200_000) log.text += text;
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  await new Promise((resolve, reject) => {
    const settle = (error) => {
      clearTimeout(timer);
      child.stdout.off('data', onLine);
      child.off('exit', onExit);
      if (!error) return resolve();
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${log.text.slice(-2000)}`));
    };
    const onLine = () => log.text.includes('API listening') && settle();
    const onExit = (code, signal) => settle(new Error(`the API exited (${signal ?? code})`));
    const timer = setTimeout(() => settle(new Error('no "API listening" within 30 s')), 30_000);
    child.stdout.on('data', onLine);
    child.once('exit', onExit);
  });
  return { child, log };
}

async function stopApi(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function keysUnder(redis, prefix) {
  const found = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

async function deleteKeys(redis, prefix) {
  const keys = await keysUnder(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  return keys.length;
}

function generate(arbitrary) {
  const cases = [];
  for (let chunk = 0; cases.length < TOTAL; chunk++) {
    const numRuns = Math.min(CHUNK, TOTAL - cases.length);
    cases.push(...fc.sample(arbitrary, { numRuns, seed: (SEED + chunk) | 0 }));
  }
  return cases;
}

/** Sends every case, CONCURRENCY at a time; returns the tallies. */
async function run(baseUrl, cases) {
  const tally = {
    byStatus: new Map(),
    byFamily: new Map(),
    byLabel: new Map(),
    violations: [],
    accepted: [],
    serverErrors: 0,
  };
  const count = (map, key, status) => {
    const row = map.get(key) ?? new Map();
    row.set(status, (row.get(status) ?? 0) + 1);
    map.set(key, row);
  };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index];
      let req;
      try {
        req = fuzz.build(c);
      } catch (error) {
        tally.violations.push({
          index,
          family: c.family,
          c,
          request: '(not built)',
          response: '',
          problems: [`the generator failed: ${String(error)}`],
        });
        continue;
      }
      let res;
      let problems;
      try {
        res = await fuzz.send(baseUrl, req);
        problems = fuzz.check(req, res);
      } catch (error) {
        res = { status: 0, contentType: '', text: '' };
        problems = [`no response: ${error instanceof Error ? error.message : String(error)}`];
      }
      const status = res.reset ? 'reset' : res.status === 0 ? 'none' : String(res.status);
      tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
      count(tally.byFamily, req.family, status);
      count(tally.byLabel, req.label, status);
      if (res.status >= 500) tally.serverErrors++;
      const ids = fuzz.createdIds(req, res);
      if (ids.length > 0) {
        tally.accepted.push({
          index,
          ids,
          jobs: req.expect.jobs,
          idempotent: req.expect.idempotent,
        });
      }
      if (problems.length > 0) {
        tally.violations.push({
          index,
          family: req.family,
          c,
          request: fuzz.describeRequest(req),
          response: `${res.status} ${res.text.slice(0, 300)}`,
          problems,
        });
      }
      done++;
      if (done % 5000 === 0) process.stderr.write(`  ${done} / ${cases.length} requests\n`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return tally;
}

/** The jobs in Redis must be exactly the ones the 201s reported, as they were sent. */
async function verifyRedis(redis, accepted) {
  const problems = [];
  const keys = await keysUnder(redis, PREFIX);
  const hashPrefix = `${PREFIX}:hash:`;
  const stored = new Set(
    keys.filter((k) => k.startsWith(hashPrefix)).map((k) => k.slice(hashPrefix.length)),
  );
  const reported = new Map();
  for (const a of accepted) a.ids.forEach((id, i) => reported.set(id, a.jobs?.[i]));
  const stray = [...stored].filter((id) => !reported.has(id));
  if (stray.length > 0) {
    const sample = await redis.hgetall(`${hashPrefix}${stray[0]}`);
    problems.push(
      `${stray.length} job(s) in Redis that no 201 reported (a refused request wrote), e.g. ${JSON.stringify(sample).slice(0, 300)}`,
    );
  }
  const missing = [...reported.keys()].filter((id) => !stored.has(id));
  if (missing.length > 0)
    problems.push(`${missing.length} reported job(s) missing, e.g. ${missing[0]}`);
  const records = keys.filter((k) => k.startsWith(`${PREFIX}:idempotency:`));
  const idempotent = accepted.filter((a) => a.idempotent).length;
  if (records.length !== idempotent) {
    problems.push(
      `${records.length} idempotency records for ${idempotent} accepted requests with a key`,
    );
  }
  // What a submit may create (src/queue/job-keys.ts); with no worker, nothing else.
  const created = ['queue:high', 'queue:low', 'wake', 'delayed', 'index:all', 'events'];
  const others = keys.filter(
    (k) =>
      !k.startsWith(hashPrefix) &&
      !records.includes(k) &&
      !k.startsWith(`${PREFIX}:index:to:`) &&
      !created.includes(k.slice(PREFIX.length + 1)),
  );
  if (others.length > 0) problems.push(`unexpected keys: ${others.slice(0, 5).join(', ')}`);
  const ids = [...reported.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    const batch = ids.slice(i, i + 500);
    problems.push(
      ...(await fuzz.checkStoredJobs(
        redis,
        PREFIX,
        batch,
        batch.map((id) => reported.get(id)),
      )),
    );
  }
  const [high, low] = await Promise.all([
    redis.lrange(`${PREFIX}:queue:high`, 0, -1),
    redis.lrange(`${PREFIX}:queue:low`, 0, -1),
  ]);
  if (high.length + low.length !== reported.size) {
    problems.push(`${high.length + low.length} ids queued for ${reported.size} accepted jobs`);
  }
  const queues = { high: new Set(high), low: new Set(low) };
  const unqueued = [...reported].filter(([id, job]) => job && !queues[job.priority]?.has(id));
  if (unqueued.length > 0) problems.push(`${unqueued.length} job(s) not on their priority's queue`);
  problems.push(...(await verifyIndexes(redis, keys, [...reported.keys()])));
  return { problems, jobs: stored.size };
}

/**
 * Each accepted job has exactly one entry in the all-jobs index and, when its payload
 * has a recipient, one in that recipient's bucket of the recipient index
 * (src/queue/index-members.ts); a refused request added none.
 */
async function verifyIndexes(redis, keys, ids) {
  const wantUnfinished = new Set();
  const wantRecipients = new Set();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const batch = ids.slice(i, i + CHUNK);
    const replies = await redis
      .pipeline(batch.map((id) => ['hget', `${PREFIX}:hash:${id}`, 'payload']))
      .exec();
    batch.forEach((id, j) => {
      let payload;
      try {
        payload = JSON.parse(replies[j][1]);
      } catch {
        payload = undefined; // reported by checkStoredJobs
      }
      const to = recipientOf(payload);
      wantUnfinished.add(indexMember(id, to));
      if (to !== undefined) {
        const { bucket, fingerprint } = recipientKey(to);
        wantRecipients.add(`${bucket} ${fingerprint}${compactId(id)}`);
      }
    });
  }
  const bucketPrefix = `${PREFIX}:index:to:`;
  const recipients = [];
  for (const key of keys.filter((k) => k.startsWith(bucketPrefix))) {
    const bucket = key.slice(bucketPrefix.length);
    for (const entry of await redis.lrange(key, 0, -1)) recipients.push(`${bucket} ${entry}`);
  }
  return [
    ...compareEntries(
      'all-jobs index',
      await redis.zrange(`${PREFIX}:index:all`, 0, -1),
      wantUnfinished,
    ),
    ...compareEntries('recipient index', recipients, wantRecipients),
  ];
}

function compareEntries(name, found, want) {
  const seen = new Set(found);
  const stray = found.filter((entry) => !want.has(entry));
  const missing = [...want].filter((entry) => !seen.has(entry));
  const duplicated = found.length - seen.size;
  if (stray.length === 0 && missing.length === 0 && duplicated === 0) return [];
  return [
    `${name}: ${found.length} entries for ${want.size} accepted jobs (${stray.length} stray` +
      `${stray.length ? `, e.g. ${stray[0]}` : ''}; ${missing.length} missing; ${duplicated} duplicated)`,
  ];
}

function table(title, rows, columns) {
  const header = ['', ...columns.map((c) => c.title)];
  const body = rows.map((r) => [r.name, ...columns.map((c) => String(c.value(r) ?? ''))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => line[i].length)));
  const line = (cells) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const cells of body) console.log(line(cells));
}

function report(tally, elapsedS, redisCheck, log) {
  const statuses = [...tally.byStatus.keys()].sort();
  const sum = (row) => [...row.values()].reduce((a, b) => a + b, 0);
  const violationsBy = (key) => tally.violations.filter((v) => key(v)).length;
  const familyRows = [...tally.byFamily].map(([name, row]) => ({ name, row }));
  familyRows.push({ name: 'total', row: tally.byStatus });
  table('Requests by family and status', familyRows, [
    { title: 'requests', value: (r) => sum(r.row) },
    ...statuses.map((s) => ({ title: s, value: (r) => r.row.get(s) ?? '' })),
    {
      title: 'violations',
      value: (r) =>
        r.name === 'total' ? tally.violations.length : violationsBy((v) => v.family === r.name),
    },
  ]);
  const labelRows = [...tally.byLabel]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, row]) => ({ name, row }));
  table('Requests by case kind', labelRows, [
    { title: 'requests', value: (r) => sum(r.row) },
    {
      title: 'statuses',
      value: (r) =>
        [...r.row]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([s, n]) => `${s}x${n}`)
          .join(' '),
    },
  ]);
  const acceptedJobs = tally.accepted.reduce((n, a) => n + a.ids.length, 0);
  console.log(
    `\n${TOTAL} requests in ${elapsedS.toFixed(1)} s (${Math.round(TOTAL / elapsedS)}/s, ${CONCURRENCY} in flight)` +
      `\n5xx responses: ${tally.serverErrors}` +
      `\naccepted: ${tally.accepted.length} requests, ${acceptedJobs} jobs; jobs found in Redis: ${redisCheck.jobs}` +
      `\nERROR lines in the API log: ${log.errors}` +
      `\ninvariant violations: ${tally.violations.length} in responses, ${redisCheck.problems.length} in Redis`,
  );
  for (const v of tally.violations.slice(0, SHOW_VIOLATIONS)) {
    console.log(
      `\n#${v.index} ${v.request}\n-> ${v.response}\n${v.problems.map((p) => `  - ${p}`).join('\n')}` +
        `\n  case: ${fc.stringify(v.c).slice(0, 600)}`,
    );
  }
  if (tally.violations.length > SHOW_VIOLATIONS) {
    console.log(`\n... and ${tally.violations.length - SHOW_VIOLATIONS} more violations`);
  }
  for (const p of redisCheck.problems.slice(0, SHOW_VIOLATIONS)) console.log(`Redis: ${p}`);
}

async function main() {
  console.log(
    `fuzz: seed ${SEED} (replay: FUZZ_SEED=${SEED}), ${TOTAL} requests, ${CONCURRENCY} in flight, ` +
      `prefix ${PREFIX}`,
  );
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  const port = await freePort();
  let api;
  try {
    api = await startApi(port);
    await fuzz.learnJobTypes(`http://127.0.0.1:${port}`);
    const generated = Date.now();
    const cases = generate(fuzz.makeCases().all);
    console.log(
      `generated ${cases.length} cases in ${((Date.now() - generated) / 1000).toFixed(1)} s`,
    );
    const started = Date.now();
    const tally = await run(`http://127.0.0.1:${port}`, cases);
    const elapsedS = (Date.now() - started) / 1000;
    const alive = api.child.exitCode === null && api.child.signalCode === null;
    const redisCheck = await verifyRedis(redis, tally.accepted);
    if (!alive) redisCheck.problems.push('the API process died during the run');
    report(tally, elapsedS, redisCheck, api.log);
    return (
      tally.violations.length === 0 && redisCheck.problems.length === 0 && tally.serverErrors === 0
    );
  } finally {
    if (api) await stopApi(api.child);
    const deleted = await deleteKeys(redis, PREFIX);
    const left = (await keysUnder(redis, PREFIX)).length;
    console.log(`deleted ${deleted} key(s) under ${PREFIX}${left ? `; ${left} left!` : ''}`);
    redis.disconnect();
  }
}

main().then(
  (ok) => {
    console.log(ok ? '\nfuzz: OK' : '\nfuzz: FAILED');
    process.exitCode = ok ? 0 : 1;
  },
  (error) => {
    console.error(`fuzz: ${error instanceof Error ? error.stack : String(error)}`);
    process.exitCode = 1;
  },
);
