'use strict';
/**
 * Live events to many clients (npm run bench:sse): SSE_CLIENTS [1000] clients hold
 * GET /events open on ONE API process (`node dist/main.js`, no in-process worker)
 * while a headless worker runs SSE_JOBS [1000] jobs submitted in bulk. Reports how
 * many events each client received (every client must get every event: 3 per job,
 * submitted/processing/completed), how long the fan-out took, the Redis
 * connections the API held, and the API process's RSS with no client, with all
 * clients connected, and after the events were delivered.
 */
const http = require('node:http');
const { join } = require('node:path');
const { readFileSync } = require('node:fs');
const { freePort, startRedisServer } = require('./lib/redis');
const { startNode, stop, killAll } = require('./lib/procs');

const ROOT = join(__dirname, '..');
const CLIENTS = Number(process.env.SSE_CLIENTS ?? 1000);
const JOBS = Number(process.env.SSE_JOBS ?? 1000);
const PREFIX = 'sse';

const log = (line) => process.stdout.write(`[sse] ${line}\n`);
const rssMb = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)[1]) / 1024;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function openClient(port, agent) {
  return new Promise((resolve, reject) => {
    const client = { events: 0, buffer: '', res: null };
    const req = http.get(
      { host: '127.0.0.1', port, path: '/events', agent, headers: { accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /events: ${res.statusCode}`));
        client.res = res;
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          client.buffer += chunk;
          let end;
          while ((end = client.buffer.indexOf('\n\n')) !== -1) {
            if (client.buffer.startsWith('id: ')) client.events += 1;
            client.buffer = client.buffer.slice(end + 2);
          }
        });
        resolve(client);
      },
    );
    req.on('error', reject);
    client.req = req;
  });
}

async function main() {
  const redis = await startRedisServer();
  const env = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: PREFIX,
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_READS_PER_MINUTE: '0',
    EMAIL_SIMULATED_DURATION_MS: '0',
    EMAIL_SIMULATED_FAILURE_RATE: '0',
    // The worker logs when it has started (what the bench waits for).
    LOG_LEVEL: 'log',
  };
  const port = await freePort();
  const api = await startNode(
    [join(ROOT, 'dist', 'main.js')],
    { ...env, WORKER_ENABLED: 'false', PORT: String(port), LOG_LEVEL: 'log' },
    /listening/i,
  );
  await sleep(1000);
  const rssIdle = rssMb(api.pid);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const clients = [];
  for (let i = 0; i < CLIENTS; i += 100) {
    clients.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(100, CLIENTS - i) }, () => openClient(port, agent)),
      )),
    );
  }
  await sleep(1000);
  const rssConnected = rssMb(api.pid);
  const connections = String(await redis.client.client('LIST'))
    .split('\n')
    .filter((line) => line.includes('name=sse:')).length;
  log(
    `${clients.length} clients connected; API RSS ${rssIdle.toFixed(0)} -> ${rssConnected.toFixed(0)} MB; ${connections} Redis connections of the API`,
  );

  const worker = await startNode(
    [join(ROOT, 'dist', 'worker.js')],
    { ...env, WORKER_CONCURRENCY: '50' },
    /started/i,
  );
  const expected = JOBS * 3;
  const started = Date.now();
  for (let i = 0; i < JOBS; i += 500) {
    const n = Math.min(500, JOBS - i);
    const jobs = Array.from({ length: n }, (_, k) => ({
      job_type: 'send_email',
      priority: 'low',
      payload: { to: `user${i + k}@example.com`, subject: 'SSE bench' },
    }));
    const res = await fetch(`http://127.0.0.1:${port}/submit-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jobs }),
    });
    if (res.status !== 201) throw new Error(`submit-jobs: ${res.status}`);
  }
  let peakRss = rssConnected;
  for (;;) {
    peakRss = Math.max(peakRss, rssMb(api.pid));
    const done = clients.filter((c) => c.events >= expected).length;
    if (done === clients.length || Date.now() - started > 120_000) break;
    await sleep(200);
  }
  const seconds = (Date.now() - started) / 1000;
  const received = clients.map((c) => c.events);
  const complete = received.filter((n) => n === expected).length;
  await sleep(1000);
  const rssAfter = rssMb(api.pid);
  const report = {
    clients: clients.length,
    jobs: JOBS,
    eventsPerClientExpected: expected,
    clientsWithEveryEvent: complete,
    fewestEvents: Math.min(...received),
    mostEvents: Math.max(...received),
    seconds,
    messagesPerSecond: (expected * clients.length) / seconds,
    apiRedisConnections: connections,
    rssMb: { idle: rssIdle, connected: rssConnected, peak: peakRss, after: rssAfter },
  };
  log(JSON.stringify(report));
  console.log(
    [
      `${report.clients} SSE clients on one API process, ${report.jobs} jobs (${expected} events each client):`,
      `- clients that received every event: ${complete} of ${report.clients} (fewest ${report.fewestEvents}, most ${report.mostEvents})`,
      `- fan-out: ${seconds.toFixed(1)} s, ${Math.round(report.messagesPerSecond).toLocaleString('en')} messages/s`,
      `- Redis connections held by the API: ${connections} (commands, and one events reader)`,
      `- API RSS: ${rssIdle.toFixed(0)} MB idle, ${rssConnected.toFixed(0)} MB with the clients connected ` +
        `(${(((rssConnected - rssIdle) * 1024) / report.clients).toFixed(1)} KB per client), peak ${peakRss.toFixed(0)} MB, ` +
        `${rssAfter.toFixed(0)} MB after delivery`,
    ].join('\n'),
  );
  for (const c of clients) c.req.destroy();
  await stop(worker);
  await stop(api);
  await redis.stop();
  if (complete !== clients.length) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
