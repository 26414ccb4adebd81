'use strict';
// Closed-loop HTTP load: `concurrency` requests in flight for `durationMs`, keep-alive.
// Run as its own process (node bench/lib/http-load.js '<json options>'); prints JSON.
const http = require('node:http');

const {
  url,
  body,
  concurrency,
  durationMs,
  warmupMs = 1000,
  method = 'POST',
  expect = 201,
} = JSON.parse(process.argv[2]);
const target = new URL(url);
const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const headers =
  method === 'GET' ? {} : { 'content-type': 'application/json', 'content-length': payload.length };

const latencies = [];
let completed = 0;
let errors = 0;
let measuring = false;
let stopAt = Infinity;

function once() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method,
        headers,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (measuring) {
            if (res.statusCode === expect) {
              completed += 1;
              latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            } else errors += 1;
          }
          resolve();
        });
      },
    );
    req.on('error', () => {
      if (measuring) errors += 1;
      resolve();
    });
    if (method === 'GET') req.end();
    else req.end(payload);
  });
}

async function loop() {
  while (Date.now() < stopAt) await once();
}

(async () => {
  stopAt = Date.now() + warmupMs;
  await Promise.all(Array.from({ length: concurrency }, loop));
  measuring = true;
  const start = Date.now();
  stopAt = start + durationMs;
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (Date.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  process.stdout.write(
    JSON.stringify({ rate: completed / elapsed, completed, errors, p50: pct(50), p99: pct(99) }),
  );
  agent.destroy();
})();
