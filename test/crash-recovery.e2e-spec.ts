import Redis from 'ioredis';
import { JobRepository } from '../src/queue/job.repository';
import { startApi, startWorker, TestApi, testEnv, TestWorker } from './support/apps';
import { emailJob, request } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

/**
 * A worker killed with SIGKILL in the middle of a job loses nothing: the job's
 * lease expires, a live worker recovers it and runs it again, and the dead
 * worker's lease token can no longer settle it.
 */

type Job = Record<string, unknown>;

describe('crash recovery', () => {
  const prefix = uniquePrefix('crash');
  let redis: Redis;
  let api: TestApi;
  let dead: NodeProcess | undefined;
  let rescuer: TestWorker | undefined;

  beforeAll(async () => {
    redis = connect();
    // No worker in the API: the only workers are the ones each test starts.
    api = await startApi({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix });
  });

  afterEach(async () => {
    await dead?.kill();
    dead = undefined;
    await rescuer?.close();
    rescuer = undefined;
  });

  afterAll(async () => {
    await api?.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  /** The lease token a job's hash holds ('' once settled or recovered). */
  const leaseOf = (id: string) => redis.hget(`${prefix}:hash:${id}`, 'lease_token');

  const submit = async (): Promise<string> => {
    const res = await request(`${api.baseUrl}/submit-job`, { method: 'POST', json: emailJob() });
    expect(res.status).toBe(201);
    return res.body.job_id as string;
  };
  const status = async (id: string): Promise<Job> =>
    (await request(`${api.baseUrl}/jobs/status/${id}`)).body;
  const waitForStatus = (id: string, wanted: string): Promise<Job> =>
    waitFor(
      async () => {
        const job = await status(id);
        return job.status === wanted && job;
      },
      { what: `job ${id} ${wanted}` },
    );

  /** A real worker process whose jobs never finish on their own (60 s each). */
  async function spawnSlowWorker(
    concurrency: number,
    extra: Record<string, string> = {},
  ): Promise<NodeProcess> {
    const worker = spawnNode(
      'dist/worker.js',
      testEnv({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefix,
        JOB_LEASE_MS: '1000',
        WORKER_CONCURRENCY: String(concurrency),
        EMAIL_SIMULATED_DURATION_MS: '60000',
        EMAIL_SIMULATED_FAILURE_RATE: '0',
        LOG_LEVEL: 'log',
        ...extra,
      }),
    );
    await worker.waitForOutput(`(concurrency ${concurrency})`);
    return worker;
  }

  async function sigkill(worker: NodeProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
  }

  const startRescuer = () =>
    startWorker({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      EMAIL_SIMULATED_DURATION_MS: '0',
      JOB_LEASE_MS: '1000',
    });

  it('a job whose worker was SIGKILLed mid-job is run again by another worker, not counted as a failure', async () => {
    dead = await spawnSlowWorker(1);
    const pid = dead.child.pid as number;
    const id = await submit();

    const first = await waitForStatus(id, 'processing');
    // The child holds the lease (worker ids are host:pid:random).
    expect(await leaseOf(id)).toContain(`:${pid}:`);
    expect(await redis.zscore(`${prefix}:inflight`, id)).not.toBeNull();

    await sigkill(dead);
    // Nobody else is running: the job stays claimed by the dead worker until recovered.
    expect(await status(id)).toMatchObject({ status: 'processing', retry_count: 0 });

    rescuer = await startRescuer();
    const done = await waitForStatus(id, 'completed');
    expect(done.retry_count).toBe(0);
    expect(done.last_error).toBeUndefined();
    expect(done.picked_ts as number).toBeGreaterThan(first.picked_ts as number);
    expect(done.completed_ts as number).toBeGreaterThanOrEqual(done.picked_ts as number);
    expect(await redis.zscore(`${prefix}:inflight`, id)).toBeNull();
    expect(await leaseOf(id)).toBe('');
    expect(await redis.lrange(`${prefix}:queue:high`, 0, -1)).not.toContain(id);
  });

  it('every job in flight in the killed worker (concurrency 3) is recovered', async () => {
    dead = await spawnSlowWorker(3);
    const pid = dead.child.pid as number;
    const ids = [await submit(), await submit(), await submit()];

    const firsts = await Promise.all(ids.map((id) => waitForStatus(id, 'processing')));
    for (const id of ids) expect(await leaseOf(id)).toContain(`:${pid}:`);

    await sigkill(dead);
    rescuer = await startRescuer();

    const done = await Promise.all(ids.map((id) => waitForStatus(id, 'completed')));
    done.forEach((job, i) => {
      expect(job.retry_count).toBe(0);
      expect(job.picked_ts as number).toBeGreaterThan(firsts[i].picked_ts as number);
    });
    expect(await redis.zcard(`${prefix}:inflight`)).toBe(0);
    for (const id of ids) expect(await leaseOf(id)).toBe('');
    expect(await redis.llen(`${prefix}:queue:high`)).toBe(0);
  });

  it('a job that loses its worker more than JOB_MAX_STALLS times ends failed, with stall_count, without using a retry', async () => {
    const stalls = { JOB_MAX_STALLS: '1' };
    dead = await spawnSlowWorker(1, stalls);
    const id = await submit();
    for (let lost = 1; lost <= 2; lost++) {
      const pid = dead.child.pid as number;
      await waitFor(async () => (await leaseOf(id))?.includes(`:${pid}:`), {
        what: `worker ${pid} to hold the job`,
      });
      await sigkill(dead);
      // The next worker recovers the job once the dead one's lease has run out.
      dead = await spawnSlowWorker(1, stalls);
      if (lost === 1) {
        const again = await waitFor(
          async () => {
            const job = await status(id);
            return job.stall_count === 1 && job.status === 'processing' && job;
          },
          { what: 'the first recovery' },
        );
        expect(again.retry_count).toBe(0);
      }
    }
    const failed = await waitForStatus(id, 'failed');
    expect(failed).toMatchObject({ stall_count: 2, retry_count: 0, available_after: null });
    expect(failed.last_error).toMatch(/^stalled: /);
    expect(failed.last_error).toContain('2 times');
    expect(await redis.zscore(`${prefix}:inflight`, id)).toBeNull();
    expect(await redis.zrange(`${prefix}:index:failed`, '0', '-1')).toHaveLength(1);
    const events = (await redis.xrange(`${prefix}:events`, '-', '+'))
      .map(([, fields]) => fields)
      .filter((fields) => fields[3] === id)
      .map((fields) => fields[1]);
    expect(events).toEqual([
      'submitted',
      'processing',
      'stalled',
      'processing',
      'stalled',
      'failed',
    ]);
  });

  it('a killed worker leaves the live-worker list within two lease periods', async () => {
    dead = await spawnSlowWorker(2);
    const pid = dead.child.pid as number;
    const pids = async () =>
      ((await request(`${api.baseUrl}/stats`)).body.workers as { pid: number }[]).map((w) => w.pid);
    await waitFor(async () => (await pids()).includes(pid), { what: 'the worker to register' });
    await sigkill(dead);
    await waitFor(async () => !(await pids()).includes(pid), {
      what: 'the dead worker to leave the list',
      timeoutMs: 5_000,
    });
  });
});

describe('a stale lease token (JobRepository)', () => {
  const prefix = uniquePrefix('stale-token');
  let redis: Redis;
  let repo: JobRepository;
  const leaseOf = (id: string) => redis.hget(`${prefix}:hash:${id}`, 'lease_token');

  beforeAll(() => {
    redis = connect();
    repo = repositoryFor(redis, prefix, { retention: { completedS: 3600, failedS: 3600 } });
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('after expiry and recovery, the old token can neither settle nor extend the job; the new one can', async () => {
    const id = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
    await repo.submit([
      { id, type: 'send_email', priority: 'low', payloadJson: '{"to":"a@example.com"}' },
    ]);

    const first = await repo.claim(1, 200, 'dead-worker:1');
    expect(first.jobs.map((j) => j.id)).toEqual([id]);
    const old = first.jobs[0];
    expect(await leaseOf(id)).toBe(old.token);

    // Polled, not slept: recovery returns the id once the 200 ms lease has run out.
    const recovered = await waitFor(
      async () => {
        const ids = (await repo.recoverExpired()).map((r) => r.id);
        return ids.length > 0 && ids;
      },
      { what: 'the lease to expire and be recovered' },
    );
    expect(recovered).toEqual([id]);
    expect(await repo.find(id)).toMatchObject({ status: 'pending', retry_count: 0 });
    expect(await redis.lindex(`${prefix}:queue:low`, -1)).toBe(id);
    expect(await leaseOf(id)).toBe('');

    const second = await repo.claim(1, 60_000, 'live-worker:1');
    expect(second.jobs.map((j) => j.id)).toEqual([id]);
    const current = second.jobs[0];
    expect(current.token).not.toBe(old.token);

    expect(await repo.complete([old])).toEqual([false]);
    expect(await repo.find(id)).toMatchObject({ status: 'processing', retry_count: 0 });
    const policy = { delayMs: 10, permanent: false };
    expect(await repo.fail(old, 'from the dead worker', policy)).toBe('lease-lost');
    expect(await repo.find(id)).toMatchObject({ status: 'processing', retry_count: 0 });
    expect(await repo.find(id)).not.toHaveProperty('last_error');
    expect(await redis.zscore(`${prefix}:delayed`, id)).toBeNull();
    expect((await repo.extendLeases([old], 60_000)).lost).toEqual([old.token]);
    expect((await repo.extendLeases([current], 60_000)).lost).toEqual([]);
    expect(await leaseOf(id)).toBe(current.token);

    expect(await repo.complete([current])).toEqual([true]);
    expect(await repo.find(id)).toMatchObject({ status: 'completed', retry_count: 0 });
    expect(await redis.zscore(`${prefix}:inflight`, id)).toBeNull();
    expect(await leaseOf(id)).toBe('');
    // Settling twice is refused too.
    expect(await repo.complete([current])).toEqual([false]);
  });
});
