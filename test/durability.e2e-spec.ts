import Redis from 'ioredis';
import { startApi, startWorker, testEnv } from './support/apps';
import { emailJob, JsonResponse, request, waitForStatus } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect, uniquePrefix } from './support/redis';
import { freePort, TestRedisServer } from './support/redis-server';
import { waitFor } from './support/wait';

/**
 * Accepted jobs live only in Redis. With the AOF on, a job the API answered 201
 * for survives a Redis restart (SHUTDOWN, or SIGKILL with appendfsync always) and
 * is completed afterwards, including one a worker had claimed when Redis went
 * away. Without persistence the same restart loses everything, which is what the
 * start-up warning says.
 */

type Job = Record<string, unknown>;

/** Every request must be answered within this long: a hang fails the test. */
const PROMPT_MS = 10_000;
const WARNING = 'Redis has no persistence';

const prompt = () => AbortSignal.timeout(PROMPT_MS);
const submit = (base: string, body: unknown = emailJob(), headers: Record<string, string> = {}) =>
  request(`${base}/submit-job`, { method: 'POST', json: body, headers, signal: prompt() });
const submitMany = (base: string, jobs: unknown[]) =>
  request(`${base}/submit-jobs`, { method: 'POST', json: { jobs }, signal: prompt() });
const status = (base: string, id: string): Promise<JsonResponse<Job>> =>
  request<Job>(`${base}/jobs/status/${id}`, { signal: prompt() });
const health = (base: string) => request(`${base}/health`, { signal: prompt() });

const waitForHealthy = (base: string) =>
  waitFor(async () => (await health(base)).status === 200, {
    what: '/health to answer 200',
    timeoutMs: 30_000,
  });

async function accepted(res: Promise<JsonResponse>): Promise<string> {
  const { status: code, body } = await res;
  expect(code).toBe(201);
  return body.job_id as string;
}

describe('durability across a Redis restart', () => {
  const prefix = uniquePrefix('durability');
  const servers: TestRedisServer[] = [];
  /** Servers stopped by the test: started again before the apps close, so they close cleanly. */
  const down = new Set<TestRedisServer>();
  const apps: { close(): Promise<void> }[] = [];
  const children: NodeProcess[] = [];
  const clients: Redis[] = [];

  async function cleanup(): Promise<void> {
    for (const child of children.splice(0)) await child.kill();
    for (const server of down) await server.start().catch(() => undefined);
    down.clear();
    for (const app of apps.splice(0).reverse()) await app.close().catch(() => undefined);
    for (const client of clients.splice(0)) client.disconnect();
    for (const server of servers.splice(0)) await server.destroy();
  }

  afterEach(cleanup);
  afterAll(cleanup);

  async function redisServer(config: Record<string, string> = {}): Promise<TestRedisServer> {
    const server = await TestRedisServer.start({ config });
    servers.push(server);
    return server;
  }

  async function stopRedis(server: TestRedisServer, how: 'shutdown' | 'kill'): Promise<void> {
    down.add(server);
    await server.stop(how);
  }

  async function startRedis(server: TestRedisServer): Promise<void> {
    await server.start();
    down.delete(server);
  }

  function client(server: TestRedisServer): Redis {
    const redis = connect(server.url);
    clients.push(redis);
    return redis;
  }

  async function api(server: TestRedisServer, env: Record<string, string> = {}) {
    const app = await startApi({
      REDIS_URL: server.url,
      QUEUE_PREFIX: prefix,
      WORKER_ENABLED: 'false',
      ...env,
    });
    apps.push(app);
    return app.baseUrl;
  }

  async function worker(server: TestRedisServer, env: Record<string, string> = {}): Promise<void> {
    apps.push(await startWorker({ REDIS_URL: server.url, QUEUE_PREFIX: prefix, ...env }));
  }

  const runId = async (redis: Redis): Promise<string> =>
    /run_id:(\w+)/.exec(await redis.info('server'))?.[1] ?? '';

  /** What Redis holds for `ids` after the restart, read from Redis itself. */
  async function storedStatuses(redis: Redis, ids: string[]): Promise<(string | null)[]> {
    return Promise.all(ids.map((id) => redis.hget(`${prefix}:hash:${id}`, 'status')));
  }

  async function expectQueueDrained(redis: Redis): Promise<void> {
    expect(await redis.zcard(`${prefix}:inflight`)).toBe(0);
    expect(await redis.llen(`${prefix}:queue:high`)).toBe(0);
    expect(await redis.llen(`${prefix}:queue:low`)).toBe(0);
  }

  it.each(['always', 'everysec'])(
    'jobs accepted with 201 survive a SHUTDOWN restart (AOF, appendfsync %s) and all complete afterwards',
    async (appendfsync) => {
      const server = await redisServer({ appendonly: 'yes', appendfsync });
      const base = await api(server);

      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const priority = i % 2 === 0 ? 'high' : 'low';
        ids.push(await accepted(submit(base, emailJob(priority, `user${i}@example.com`))));
      }
      const bulk = await submitMany(
        base,
        [0, 1, 2, 3, 4].map((i) => emailJob('low', `bulk${i}@example.com`)),
      );
      expect(bulk.status).toBe(201);
      ids.push(...(bulk.body.job_ids as string[]));
      const keyedBody = emailJob('high', 'keyed@example.com');
      const keyed = await accepted(submit(base, keyedBody, { 'idempotency-key': 'durable-1' }));
      ids.push(keyed);

      const redis = client(server);
      const before = await runId(redis);
      await stopRedis(server, 'shutdown');
      await startRedis(server);

      // A new server process, and every accepted job is back from the AOF, still queued.
      expect(await runId(redis)).not.toBe(before);
      expect(await storedStatuses(redis, ids)).toEqual(ids.map(() => 'pending'));
      const queued = [
        ...(await redis.lrange(`${prefix}:queue:high`, 0, -1)),
        ...(await redis.lrange(`${prefix}:queue:low`, 0, -1)),
      ];
      expect([...queued].sort()).toEqual([...ids].sort());

      // The API reconnected by itself, and the Idempotency-Key record survived too.
      await waitForHealthy(base);
      const replay = await submit(base, keyedBody, { 'idempotency-key': 'durable-1' });
      expect(replay.status).toBe(200);
      expect(replay.body.job_id).toBe(keyed);

      await worker(server);
      for (const id of ids) {
        const done = await waitForStatus(base, id, 'completed');
        expect(done.retry_count).toBe(0);
        expect(done.last_error).toBeUndefined();
      }
      await expectQueueDrained(redis);
    },
  );

  it('without persistence the same restart loses every accepted job (what the start-up warning says)', async () => {
    const server = await redisServer(); // appendonly no, no save points
    const base = await api(server);
    const ids = [await accepted(submit(base)), await accepted(submit(base))];

    await stopRedis(server, 'shutdown');
    await startRedis(server);
    await waitForHealthy(base);

    for (const id of ids) expect((await status(base, id)).status).toBe(404);
    expect(await client(server).dbsize()).toBe(0);
  });

  it('jobs accepted up to the moment Redis is SIGKILLed (appendfsync always) all survive and complete', async () => {
    const server = await redisServer({ appendonly: 'yes', appendfsync: 'always' });
    const base = await api(server);

    // Four clients submit one job after another until a submission is refused.
    const ids: string[] = [];
    const refusals: (number | string)[] = [];
    const submitter = async (): Promise<void> => {
      for (;;) {
        let res: JsonResponse;
        try {
          res = await submit(base);
        } catch (error) {
          refusals.push(error instanceof Error ? error.message : String(error));
          return;
        }
        if (res.status !== 201) {
          refusals.push(res.status);
          return;
        }
        ids.push(res.body.job_id as string);
      }
    };
    const submitters = [submitter(), submitter(), submitter(), submitter()];
    await waitFor(() => ids.length >= 100, { what: '100 accepted jobs' });

    await stopRedis(server, 'kill'); // no SHUTDOWN: nothing flushed on the way out
    await Promise.all(submitters);
    // Each client stopped on a prompt 503, not on a hang or a dropped connection.
    expect(refusals).toEqual([503, 503, 503, 503]);

    await startRedis(server);
    const redis = client(server);
    expect(await storedStatuses(redis, ids)).toEqual(ids.map(() => 'pending'));

    await waitForHealthy(base);
    await worker(server, { WORKER_CONCURRENCY: '20' });
    for (const id of ids) await waitForStatus(base, id, 'completed');
    await expectQueueDrained(redis);
  });

  it('a job in flight when Redis restarts, on a worker that stays up: its lease is honoured and it completes once', async () => {
    const server = await redisServer({ appendonly: 'yes', appendfsync: 'always' });
    // API with its in-process worker; each job takes 3 s, well inside a 30 s lease.
    const base = await api(server, {
      WORKER_ENABLED: 'true',
      WORKER_CONCURRENCY: '1',
      EMAIL_SIMULATED_DURATION_MS: '3000',
      JOB_LEASE_MS: '30000',
    });
    const id = await accepted(submit(base));
    const claimed = await waitForStatus(base, id, 'processing');

    await stopRedis(server, 'shutdown');
    await startRedis(server);

    const done = await waitForStatus(base, id, 'completed');
    // The same attempt settled it: not recovered and claimed again, not counted as a failure.
    expect(done.picked_ts).toBe(claimed.picked_ts);
    expect(done.retry_count).toBe(0);
    expect(done.last_error).toBeUndefined();
    const redis = client(server);
    expect(await redis.hget(`${prefix}:hash:${id}`, 'lease_token')).toBe('');
    await expectQueueDrained(redis);
  });

  it('a job in flight when Redis restarts, on a worker that dies meanwhile: the claim survives and the job is recovered and completed', async () => {
    const server = await redisServer({ appendonly: 'yes', appendfsync: 'always' });
    const base = await api(server);
    const redis = client(server);

    // A real worker process whose jobs never finish on their own, with a 2 s lease.
    const doomed = spawnNode(
      'dist/worker.js',
      testEnv({
        REDIS_URL: server.url,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'log',
        WORKER_CONCURRENCY: '1',
        EMAIL_SIMULATED_DURATION_MS: '600000',
        JOB_LEASE_MS: '2000',
      }),
    );
    children.push(doomed);
    await doomed.waitForOutput('(concurrency 1)');

    const inFlight = await accepted(submit(base));
    const claimed = await waitForStatus(base, inFlight, 'processing');
    const token = await redis.hget(`${prefix}:hash:${inFlight}`, 'lease_token');
    expect(token).toContain(`:${doomed.child.pid}:`);
    // Queued behind it (the worker's only slot is taken).
    const queued = [await accepted(submit(base)), await accepted(submit(base, emailJob('low')))];

    await stopRedis(server, 'shutdown');
    await doomed.kill(); // dies while Redis is away: it can neither finish nor hand the job back
    await startRedis(server);

    // The claim came back from the AOF as it was: still held under the dead worker's lease.
    expect(await redis.hget(`${prefix}:hash:${inFlight}`, 'status')).toBe('processing');
    expect(await redis.hget(`${prefix}:hash:${inFlight}`, 'lease_token')).toBe(token);
    expect(await redis.zscore(`${prefix}:inflight`, inFlight)).not.toBeNull();
    expect(await storedStatuses(redis, queued)).toEqual(['pending', 'pending']);

    await waitForHealthy(base);
    await worker(server, { JOB_LEASE_MS: '2000' });
    const done = await waitForStatus(base, inFlight, 'completed');
    // Recovered once the lease ran out and claimed anew; a recovery is not a failure.
    expect(done.picked_ts as number).toBeGreaterThan(claimed.picked_ts as number);
    expect(done.retry_count).toBe(0);
    expect(done.last_error).toBeUndefined();
    for (const id of queued) await waitForStatus(base, id, 'completed');
    await expectQueueDrained(redis);
  });
});

describe('start-up warning when Redis keeps nothing on disk (real processes)', () => {
  const servers: TestRedisServer[] = [];
  const children: NodeProcess[] = [];

  async function cleanup(): Promise<void> {
    for (const child of children.splice(0)) await child.kill();
    for (const server of servers.splice(0)) await server.destroy();
  }

  afterEach(cleanup);
  afterAll(cleanup);

  async function redisServer(config: Record<string, string> = {}): Promise<TestRedisServer> {
    const server = await TestRedisServer.start({ config });
    servers.push(server);
    return server;
  }

  /** `node dist/main.js` (API only) or `node dist/worker.js`, logging at the default level. */
  async function spawnService(
    script: 'dist/main.js' | 'dist/worker.js',
    server: TestRedisServer,
  ): Promise<NodeProcess> {
    const child = spawnNode(
      script,
      testEnv({
        REDIS_URL: server.url,
        QUEUE_PREFIX: uniquePrefix('warning'),
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'log',
      }),
    );
    children.push(child);
    return child;
  }

  /** The JSON log line that carries the warning. */
  const warningLine = (output: string): Record<string, unknown> | undefined => {
    const line = output.split('\n').find((text) => text.includes(WARNING));
    return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
  };

  it('node dist/main.js warns when Redis has neither AOF nor RDB save points, and still starts', async () => {
    const server = await redisServer(); // appendonly no, save ''
    const apiProcess = await spawnService('dist/main.js', server);
    await apiProcess.waitForOutput(WARNING);
    await apiProcess.waitForOutput('API listening');
    expect(warningLine(apiProcess.output())).toMatchObject({
      level: 'warn',
      context: 'RedisModule',
      msg: expect.stringContaining('accepted jobs are lost if Redis restarts'),
    });
  });

  it('node dist/worker.js warns too', async () => {
    const server = await redisServer();
    const workerProcess = await spawnService('dist/worker.js', server);
    await workerProcess.waitForOutput(WARNING);
    expect(warningLine(workerProcess.output())).toMatchObject({ level: 'warn' });
  });

  it.each([
    ['the AOF on', { appendonly: 'yes' }],
    ['RDB save points', { save: '3600 1' }],
  ])('no warning when Redis has %s', async (_what, config) => {
    const server = await redisServer(config);
    const apiProcess = await spawnService('dist/main.js', server);
    // Start-up hooks (where the check runs) have all finished before the API listens.
    await apiProcess.waitForOutput('API listening');
    const output = apiProcess.output();
    expect(output).not.toContain(WARNING);
    // Warnings are printed at this log level (API_KEYS unset warns): the absence means something.
    expect(output).toContain('"level":"warn"');
  });
});
