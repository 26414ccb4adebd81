import Redis from 'ioredis';
import { testEnv } from './support/apps';
import { emailJob, request } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { freePort, TestRedisServer } from './support/redis-server';
import { waitFor } from './support/wait';

/**
 * Graceful shutdown of the real processes (`node dist/main.js`, `node dist/worker.js`):
 * SIGTERM / SIGINT drain in-flight jobs or hand them back, and exit 0; a bad
 * configuration value stops the process at start-up, naming the variable.
 */

describe('graceful shutdown (real processes)', () => {
  const prefix = uniquePrefix('shutdown');
  let redis: Redis;
  const children: NodeProcess[] = [];

  beforeAll(() => {
    redis = connect();
  });

  afterEach(async () => {
    for (const spawned of children.splice(0)) {
      const { child } = spawned;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await spawned.exited;
    }
    await deletePrefix(redis, prefix);
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  function start(
    script: 'dist/main.js' | 'dist/worker.js',
    env: Record<string, string>,
  ): NodeProcess {
    const spawned = spawnNode(
      script,
      testEnv({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefix,
        HOST: '127.0.0.1',
        LOG_LEVEL: 'log',
        ...env,
      }),
    );
    children.push(spawned);
    return spawned;
  }

  /** `node dist/main.js` with its in-process worker, once it listens. */
  async function startMain(
    env: Record<string, string>,
  ): Promise<{ api: NodeProcess; base: string }> {
    const port = await freePort();
    const api = start('dist/main.js', { PORT: String(port), WORKER_ENABLED: 'true', ...env });
    await api.waitForOutput('API listening');
    return { api, base: `http://127.0.0.1:${port}` };
  }

  async function submit(base: string): Promise<string> {
    const res = await request(`${base}/submit-job`, { method: 'POST', json: emailJob('high') });
    expect(res.status).toBe(201);
    return res.body.job_id as string;
  }

  const waitForProcessing = (base: string, id: string) =>
    waitFor(async () => (await request(`${base}/jobs/status/${id}`)).body.status === 'processing', {
      what: `job ${id} processing`,
    });

  it('SIGTERM lets the in-flight job finish, then exits 0', async () => {
    const { api, base } = await startMain({
      EMAIL_SIMULATED_DURATION_MS: '1500',
      WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    });
    const id = await submit(base);
    await waitForProcessing(base, id);

    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });

    expect(api.stdout()).toContain('SIGTERM received: draining');
    // The job was still running when the signal came: the worker waited for it.
    expect(api.stdout()).toContain('for 1 job(s)');
    expect(api.stdout()).not.toContain('handed');
    expect(await redis.hget(`${prefix}:hash:${id}`, 'status')).toBe('completed');
    expect(await redis.hget(`${prefix}:hash:${id}`, 'retry_count')).toBe('0');
    expect(await redis.zscore(`${prefix}:inflight`, id)).toBeNull();
    expect(await redis.hget(`${prefix}:hash:${id}`, 'lease_token')).toBe('');
  });

  it('SIGTERM past the shutdown timeout hands the unfinished job back to the front of its queue, exit 0', async () => {
    const { api, base } = await startMain({
      EMAIL_SIMULATED_DURATION_MS: '60000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '300',
      WORKER_CONCURRENCY: '1',
    });
    const running = await submit(base);
    await waitForProcessing(base, running);
    // With one slot taken, this one waits in the queue behind the running job.
    const waiting = await submit(base);
    expect((await request(`${base}/jobs/status/${waiting}`)).body.status).toBe('pending');

    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });

    expect(api.stdout()).toContain('handed 1 unfinished job(s) back');
    const job = await redis.hgetall(`${prefix}:hash:${running}`);
    expect(job).toMatchObject({ status: 'pending', retry_count: '0', completed_ts: '' });
    expect(job.last_error).toBeUndefined();
    // Back at the consuming (right) end: it runs next, before the job submitted after it.
    const queue = `${prefix}:queue:high`;
    expect(await redis.lindex(queue, -1)).toBe(running);
    expect(await redis.lrange(queue, 0, -1)).toEqual([waiting, running]);
    expect(await redis.zscore(`${prefix}:inflight`, running)).toBeNull();
    expect(job.lease_token).toBe('');
    expect(await redis.zcard(`${prefix}:inflight`)).toBe(0);
  });

  it('the headless worker exits 0 on SIGINT while idle', async () => {
    const worker = start('dist/worker.js', {});
    await worker.waitForOutput('started (concurrency');
    // Idle = its wait connection is blocked in Redis waiting for work. (The "started"
    // line alone is not enough: dist/worker.js installs its signal handlers only
    // after the worker has started, and a signal in between kills it.)
    const waitConnection = `name=${prefix}:worker-wait:${worker.child.pid}`;
    await waitFor(
      async () => {
        const clients = (await redis.client('LIST')) as string;
        return clients
          .split('\n')
          .some(
            (c) => c.includes(waitConnection) && / flags=b /.test(c) && / cmd=bzpopmin /.test(c),
          );
      },
      { what: 'the worker to block waiting for work' },
    );

    worker.child.kill('SIGINT');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.stdout()).toContain('SIGINT received: draining');
    expect(worker.stdout()).toMatch(/Worker \S+ stopped/);
    expect(worker.stderr()).toBe('');
  });

  it.each([
    ['WORKER_CONCURRENCY', 'abc'],
    ['REDIS_URL', 'http://x'],
  ])('a bad %s (%s) stops dist/main.js with a non-zero exit naming it', async (name, value) => {
    const api = start('dist/main.js', { PORT: String(await freePort()), [name]: value });
    const { code, signal } = await api.exited;
    expect(signal).toBeNull();
    expect(code).not.toBe(0);
    expect(api.stderr()).toContain(name);
    expect(api.stderr()).toContain(value);
    expect(api.stderr()).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(api.stdout()).not.toContain('API listening');
  });
});

describe('shutdown while Redis is down', () => {
  let server: TestRedisServer;
  let child: NodeProcess | undefined;

  beforeAll(async () => {
    server = await TestRedisServer.start();
  });

  afterAll(async () => {
    await child?.kill();
    await server.destroy();
  });

  it('an idle worker blocked in Redis still stops, and the process exits 0', async () => {
    const port = await freePort();
    child = spawnNode('dist/main.js', {
      ...testEnv({
        REDIS_URL: server.url,
        QUEUE_PREFIX: 'down',
        WORKER_ENABLED: 'true',
        WORKER_SHUTDOWN_TIMEOUT_MS: '500',
      }),
      PORT: String(port),
      LOG_LEVEL: 'log',
    });
    await child.waitForOutput('API listening');
    const probe = connect(server.url);
    try {
      await waitFor(async () => String(await probe.client('LIST')).includes('cmd=bzpopmin'), {
        what: 'worker blocking',
      });
    } finally {
      probe.disconnect();
    }
    // The blocked wait is re-queued by its connection once Redis is gone.
    await server.stop();
    await child.waitForOutput('ECONNREFUSED');
    child.child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });
});
