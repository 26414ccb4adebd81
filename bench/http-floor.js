#!/usr/bin/env node
'use strict';
/**
 * What bounds single-submit throughput over HTTP: the same load (50 in flight,
 * keep-alive) against layers of the request path, on a redis-server of its own.
 *
 *   node bench/http-floor.js          (after npm run build)
 *
 * Rows: bare node:http answering 201 without Redis; bare node:http + BullMQ
 * queue.add (the benchmark's reference); this service's GET /health (Nest + Fastify
 * + one PING); POST /submit-job with an invalid priority (the whole Nest pipeline and
 * class-validator, no Redis write); a valid POST /submit-job.
 */
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { freePort, startRedisServer } = require('./lib/redis');
const { startNode, stop, killAll } = require('./lib/procs');
const { jobq, PAYLOAD } = require('./lib/systems');

const DURATION_MS = Number(process.env.FLOOR_MS ?? 5000);
const job = { job_type: 'send_email', priority: 'high', payload: PAYLOAD };

function load(options) {
  const out = execFileSync(
    process.execPath,
    [
      join(__dirname, 'lib', 'http-load.js'),
      JSON.stringify({ concurrency: 50, durationMs: DURATION_MS, ...options }),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

async function main() {
  const redis = await startRedisServer();
  const rows = [];
  const row = (name, r) =>
    rows.push(
      `| ${name} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    );
  try {
    const barePort = await freePort();
    const bareServer = `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"job_id":"x","status":"pending"}')); }).listen(${barePort}, '127.0.0.1', () => console.log('bare ready'));`;
    const bare = await startNode(['-e', bareServer], {}, /bare ready/);
    row(
      'bare node:http, no Redis (201)',
      load({ url: `http://127.0.0.1:${barePort}/submit-job`, body: job }),
    );
    await stop(bare);

    const bullPort = await freePort();
    const bull = await startNode(
      [join(__dirname, 'bullmq-http-server.js')],
      { REDIS_URL: redis.url, BULL_QUEUE: 'floor', PORT: String(bullPort) },
      /bullmq http ready/,
    );
    row(
      'bare node:http + BullMQ queue.add (201)',
      load({ url: `http://127.0.0.1:${bullPort}/submit-job`, body: job }),
    );
    await stop(bull);

    const port = await freePort();
    const api = await startNode(
      [join(__dirname, '..', 'dist', 'main.js')],
      { ...jobq(redis.url, 'floor').apiEnv, PORT: String(port) },
      /API listening/,
    );
    const base = `http://127.0.0.1:${port}`;
    row(
      'this service: GET /health (Nest + Fastify + PING)',
      load({ url: `${base}/health`, method: 'GET', expect: 200, body: '' }),
    );
    row(
      'this service: POST /submit-job, invalid priority (400, no write)',
      load({ url: `${base}/submit-job`, body: { ...job, priority: 'urgent' }, expect: 400 }),
    );
    row('this service: POST /submit-job (201)', load({ url: `${base}/submit-job`, body: job }));
    await stop(api);
  } finally {
    await redis.stop();
  }
  console.log(
    [
      '| Request path (50 in flight) | req/s | p50 ms | p99 ms |',
      '|---|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
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
