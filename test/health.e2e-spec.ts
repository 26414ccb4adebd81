import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { startApi, TestApi, testEnv } from './support/apps';
import { ApiClient } from './support/api-client';
import { emailJob, request } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { freePort, TestRedisServer } from './support/redis-server';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

const API_KEY = 'health-test-key-0123456789';

describe('GET /health/live and GET /health/ready', () => {
  let redis: Redis;
  let api: TestApi | undefined;
  let server: TestRedisServer | undefined;
  const prefix = uniquePrefix('health');

  beforeAll(() => {
    redis = connect();
  });

  afterEach(async () => {
    await api?.close();
    api = undefined;
    await server?.destroy();
    server = undefined;
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('answer 200 with each check named, need no API key, and leave GET /health as it was', async () => {
    api = await startApi({ QUEUE_PREFIX: prefix, API_KEYS: API_KEY });
    expect(await request(`${api.baseUrl}/health/live`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    const ready = await request(`${api.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ok',
      // delivery: no transport has a configuration error (see test/smtp.e2e-spec.ts).
      checks: { redis: { status: 'up' }, process: { status: 'up' }, delivery: { status: 'up' } },
    });
    expect(await request(`${api.baseUrl}/health`)).toMatchObject({
      status: 200,
      body: { status: 'ok', redis: 'up' },
    });
  });

  it('ready answers 503 naming redis while Redis is down, live stays 200, and ready recovers', async () => {
    server = await TestRedisServer.start();
    api = await startApi({ QUEUE_PREFIX: prefix, REDIS_URL: server.url });
    expect((await request(`${api.baseUrl}/health/ready`)).status).toBe(200);

    await server.stop();
    const down = await request(`${api.baseUrl}/health/ready`);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'error',
      failed: ['redis'],
      checks: { redis: { status: 'down' }, process: { status: 'up' } },
    });
    expect((down.body.checks as Record<string, { detail?: string }>).redis.detail).toBeTruthy();
    expect(await request(`${api.baseUrl}/health/live`)).toMatchObject({ status: 200 });
    expect((await request(`${api.baseUrl}/health`)).status).toBe(503);

    await server.start();
    const base = api.baseUrl;
    await waitFor(async () => (await request(`${base}/health/ready`)).status === 200, {
      what: 'ready again once Redis is back',
    });
  });
});

describe('readiness during shutdown (real processes)', () => {
  let redis: Redis;
  const children: NodeProcess[] = [];
  const prefixes: string[] = [];

  beforeAll(() => {
    redis = connect();
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
    for (const prefix of prefixes.splice(0)) await deletePrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  function spawn(
    script: string,
    env: Record<string, string>,
  ): { child: NodeProcess; prefix: string } {
    const prefix = uniquePrefix('health-shutdown');
    prefixes.push(prefix);
    const child = spawnNode(
      script,
      testEnv({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefix,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        // A job that outlasts the signal, so that the worker drains for a while.
        EMAIL_SIMULATED_DURATION_MS: '600000',
        WORKER_SHUTDOWN_TIMEOUT_MS: '3000',
        ...env,
      }),
    );
    children.push(child);
    return { child, prefix };
  }

  it('node dist/main.js: 503 naming the process while its worker drains, live 200, then exit 0', async () => {
    const port = await freePort();
    const { child } = spawn('dist/main.js', { PORT: String(port), WORKER_ENABLED: 'true' });
    await child.waitForOutput('API listening');
    const client = new ApiClient(`http://127.0.0.1:${port}`);
    const id = await client.submitId(emailJob('high'));
    await client.waitForStatus(id, 'processing');

    child.child.kill('SIGTERM');
    await child.waitForOutput('Waiting up to');
    const ready = await request(`${client.baseUrl}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'error',
      failed: ['process'],
      checks: { redis: { status: 'up' }, process: { status: 'down', detail: 'shutting down' } },
    });
    expect(await request(`${client.baseUrl}/health/live`)).toMatchObject({ status: 200 });
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('node dist/worker.js: the same on METRICS_PORT', async () => {
    const port = await freePort();
    const { child, prefix } = spawn('dist/worker.js', { METRICS_PORT: String(port) });
    await child.waitForOutput('Metrics and health probes on');
    const base = `http://127.0.0.1:${port}`;
    expect((await request(`${base}/health/ready`)).status).toBe(200);
    const id = randomUUID();
    await repositoryFor(redis, prefix).submit([
      {
        id,
        type: 'send_email',
        priority: 'high',
        payloadJson: JSON.stringify({ to: 'alice@example.com' }),
      },
    ]);
    await waitFor(
      async () => (await redis.hget(`${prefix}:hash:${id}`, 'status')) === 'processing',
      {
        what: 'the job to be processing',
      },
    );

    child.child.kill('SIGTERM');
    await child.waitForOutput('Waiting up to');
    expect(await request(`${base}/health/ready`)).toMatchObject({
      status: 503,
      body: { failed: ['process'] },
    });
    expect(await request(`${base}/health/live`)).toMatchObject({ status: 200 });
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
