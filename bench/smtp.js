#!/usr/bin/env node
'use strict';
/**
 * Delivery throughput of ONE worker process (`node dist/worker.js`, EMAIL_TRANSPORT=smtp)
 * to a local SMTP sink (smtp-server, accepting everything at once), with pooled
 * connections (SMTP_POOL_SIZE=5, the default) and without (SMTP_POOL_SIZE=0: a new
 * connection for every message); over plain SMTP and over STARTTLS (a CA made for
 * the run with `openssl`). Each measurement: N jobs queued while the worker cannot
 * see them, the worker started, the queue released, timed until the sink has accepted
 * N messages. Repeated, median and range.
 *
 *   npm run bench:smtp                    N=3000, WORKER_CONCURRENCY=10, 3 repeats
 *   npm run bench:smtp -- --quick         N=200, 1 repeat
 *   BENCH_SMTP_N=10000 BENCH_SMTP_REPEATS=5 npm run bench:smtp
 */
const os = require('node:os');
const { performance } = require('node:perf_hooks');
const { setTimeout: sleep } = require('node:timers/promises');
const { SMTPServer } = require('smtp-server');
const { freePort, startRedisServer } = require('./lib/redis');
const { stop, killAll } = require('./lib/procs');
const { summary } = require('./lib/stats');
const { jobq } = require('./lib/systems');
const { createTestCa } = require('../test/support/test-ca');

const quick = process.argv.includes('--quick');
const N = Number(process.env.BENCH_SMTP_N ?? (quick ? 200 : 3000));
const REPEATS = Number(process.env.BENCH_SMTP_REPEATS ?? (quick ? 1 : 3));
const CONCURRENCY = Number(process.env.BENCH_SMTP_CONCURRENCY ?? 10);
const POOL_SIZE = Number(process.env.BENCH_SMTP_POOL_SIZE ?? 5);

const log = (...args) => console.error('[bench:smtp]', ...args);

/** An SMTP server that accepts every message and counts messages and connections. */
async function startSink(tls) {
  const sink = { messages: 0, connections: 0 };
  const server = new SMTPServer({
    secure: false,
    ...(tls ? { key: tls.key, cert: tls.cert } : {}),
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    authOptional: true,
    logger: false,
    closeTimeout: 200,
    size: 1024 * 1024,
    onConnect: (_session, callback) => {
      sink.connections += 1;
      callback();
    },
    onData: (stream, _session, callback) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        sink.messages += 1;
        callback(null);
      });
    },
  });
  server.on('error', () => undefined);
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  sink.port = port;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
  return sink;
}

async function measure(redis, { tls, ca, poolSize }, run) {
  const sink = await startSink(tls ? ca : undefined);
  const system = jobq(redis.url, `smtp-${run}`, {
    EMAIL_TRANSPORT: 'smtp',
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SMTP_POOL_SIZE: String(poolSize),
    SMTP_REQUIRE_TLS: tls ? 'true' : 'false',
    ...(tls ? { SMTP_TLS_CA: ca.caFile } : {}),
    EMAIL_FROM: 'Bench <bench@example.com>',
    JOB_MAX_RETRIES: '0',
  });
  let worker;
  try {
    await system.prefillPaused(N);
    worker = await system.startWorker(CONCURRENCY);
    const started = performance.now();
    await system.resume();
    while (sink.messages < N) {
      if (worker.exitCode !== null) throw new Error('the worker exited');
      await sleep(2);
    }
    const seconds = (performance.now() - started) / 1000;
    return { rate: N / seconds, connections: sink.connections };
  } finally {
    await stop(worker);
    system.close();
    await sink.close();
  }
}

async function main() {
  const ca = createTestCa();
  const redis = await startRedisServer();
  const modes = [
    { name: 'plain SMTP', tls: false, poolSize: POOL_SIZE },
    { name: 'plain SMTP', tls: false, poolSize: 0 },
    { name: 'STARTTLS', tls: true, poolSize: POOL_SIZE },
    { name: 'STARTTLS', tls: true, poolSize: 0 },
  ];
  const results = modes.map(() => ({ rates: [], connections: [] }));
  try {
    let run = 0;
    for (let r = 0; r < REPEATS; r++) {
      for (const [i, mode] of modes.entries()) {
        const { rate, connections } = await measure(redis, { ...mode, ca }, run++);
        results[i].rates.push(rate);
        results[i].connections.push(connections);
        log(
          `${mode.name}, SMTP_POOL_SIZE=${mode.poolSize}: ${rate.toFixed(0)} mails/s, ${connections} connections (repeat ${r + 1}/${REPEATS})`,
        );
      }
    }
  } finally {
    await redis.stop();
    ca.remove();
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Machine: ${os.cpus().length} cores, ${cpu}; Node ${process.version}. ` +
      `N=${N} mails, one worker process, WORKER_CONCURRENCY=${CONCURRENCY}, ${REPEATS} repeat(s): median (min-max).\n`,
  );
  console.log('| Connection | SMTP_POOL_SIZE | Mails/s | Connections opened | Pooled / unpooled |');
  console.log('| ---------- | -------------: | ------: | -----------------: | ----------------: |');
  for (const [i, mode] of modes.entries()) {
    const rate = summary(results[i].rates);
    const connections = summary(results[i].connections);
    const partner = results[i % 2 === 0 ? i + 1 : i - 1];
    const ratio = i % 2 === 0 ? `${(rate.median / summary(partner.rates).median).toFixed(1)}x` : '';
    console.log(
      `| ${mode.name} | ${mode.poolSize} | ${rate.text} | ${connections.text} | ${ratio} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  },
);
