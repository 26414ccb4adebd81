import { startApi, TestApi } from './support/apps';
import { emailJob, JsonResponse, request } from './support/http';
import { connect, uniquePrefix } from './support/redis';
import { TestRedisServer } from './support/redis-server';
import { waitFor } from './support/wait';

/**
 * Redis goes away and comes back (same port, data kept by the AOF): the API
 * answers 503 at once while it is away, and API and in-process worker carry on
 * by themselves once it is back, without a restart.
 */

/** A request that fails the test if the API has not answered within 3 s (i.e. it hangs). */
const PROMPT_MS = 3000;

describe('Redis outage', () => {
  const prefix = uniquePrefix('outage');
  let server: TestRedisServer | undefined;
  let api: TestApi | undefined;
  let redisStopped = false;

  beforeAll(async () => {
    server = await TestRedisServer.start({ config: { appendonly: 'yes' } });
    api = await startApi({
      REDIS_URL: server.url,
      QUEUE_PREFIX: prefix,
      WORKER_ENABLED: 'true',
      EMAIL_SIMULATED_DURATION_MS: '1500',
    });
  });

  afterAll(async () => {
    // If the test failed during the outage, bring Redis back first so the API closes cleanly.
    if (redisStopped) await server?.start().catch(() => undefined);
    await api?.close();
  });

  // A hook of its own: it runs even if closing the API failed or timed out, so no
  // redis-server outlives the file (its child process would keep Jest from exiting).
  afterAll(async () => {
    await server?.destroy();
  });

  const base = (): string => (api as TestApi).baseUrl;
  const prompt = () => AbortSignal.timeout(PROMPT_MS);
  const submit = () =>
    request(`${base()}/submit-job`, { method: 'POST', json: emailJob(), signal: prompt() });
  const status = (id: string) => request(`${base()}/jobs/status/${id}`, { signal: prompt() });
  const health = () => request(`${base()}/health`, { signal: prompt() });
  const waitForStatus = (id: string, wanted: string) =>
    waitFor(
      async () => {
        const res = await status(id);
        return res.body.status === wanted && res.body;
      },
      { what: `job ${id} ${wanted}`, timeoutMs: 30_000 },
    );

  function expectUnavailable(res: JsonResponse): void {
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.any(String),
      code: 'STORE.UNAVAILABLE',
    });
    expect(JSON.stringify(res.body)).not.toMatch(
      /at .*\.(ts|js):\d+|node_modules|ioredis|ECONNREFUSED|Stream isn't/,
    );
  }

  it('503 while Redis is down, then API and worker resume on their own when it is back', async () => {
    const redisServer = server as TestRedisServer;

    // Before: everything works.
    expect((await health()).status).toBe(200);
    const before = await submit();
    expect(before.status).toBe(201);
    const beforeId = before.body.job_id as string;
    await waitForStatus(beforeId, 'completed');

    // A job that is running when Redis goes away (1.5 s per job).
    const spanning = await submit();
    expect(spanning.status).toBe(201);
    const spanningId = spanning.body.job_id as string;
    await waitForStatus(spanningId, 'processing');

    redisStopped = true;
    await redisServer.stop();

    // During: prompt 503s with the usual JSON error shape (a hang fails on the abort signal).
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'error', redis: 'down' });

    const refused = await submit();
    expectUnavailable(refused);

    const lookup = await status(beforeId);
    expectUnavailable(lookup);

    // Still down a moment later (the client is reconnecting in the background).
    expect((await health()).status).toBe(503);
    expectUnavailable(await submit());

    // After: same port, the AOF brings the data back.
    await redisServer.start();
    redisStopped = false;
    await waitFor(async () => (await health()).status === 200, {
      what: '/health to be 200 again',
      timeoutMs: 30_000,
    });

    expect((await status(beforeId)).body).toMatchObject({ status: 'completed', retry_count: 0 });
    // The job that was running through the outage is settled once, not failed or retried.
    const settled = await waitForStatus(spanningId, 'completed');
    expect(settled.retry_count).toBe(0);
    expect(settled.last_error).toBeUndefined();

    const after = await submit();
    expect(after.status).toBe(201);
    const afterId = after.body.job_id as string;
    const done = await waitForStatus(afterId, 'completed');
    expect(done.retry_count).toBe(0);

    const redis = connect(redisServer.url);
    try {
      expect(await redis.zcard(`${prefix}:inflight`)).toBe(0);
      for (const id of [beforeId, spanningId, afterId]) {
        expect(await redis.hget(`${prefix}:hash:${id}`, 'lease_token')).toBe('');
      }
      expect(await redis.llen(`${prefix}:queue:high`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
