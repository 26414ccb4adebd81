import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { JobRepository } from '../src/queue/job.repository';
import { Priority } from '../src/queue/job-keys';
import { WorkSignal } from '../src/queue/work-signal';
import { connect, deletePrefix, uniquePrefix } from './support/redis';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

/**
 * Each Lua script's transitions, called through JobRepository against a real Redis,
 * checked on the raw keys (the layout is a contract: other tools read it).
 */
describe('Lua scripts', () => {
  const prefix = uniquePrefix('lua');
  let redis: Redis;
  let repo: JobRepository;
  const k = {
    hash: (id: string) => `${prefix}:hash:${id}`,
    high: `${prefix}:queue:high`,
    low: `${prefix}:queue:low`,
    delayed: `${prefix}:delayed`,
    inflight: `${prefix}:inflight`,
    wake: `${prefix}:wake`,
  };

  beforeAll(() => {
    redis = connect();
    repo = repositoryFor(redis, prefix);
  });

  beforeEach(() => deletePrefix(redis, prefix));

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  async function submit(priority: Priority, n = 1): Promise<string[]> {
    const jobs = Array.from({ length: n }, () => ({
      id: randomUUID(),
      type: 'send_email',
      priority,
      payloadJson: JSON.stringify({ to: 'a@example.com' }),
    }));
    await repo.submit(jobs);
    return jobs.map((j) => j.id);
  }

  const redisNowMs = async () => {
    const [s, us] = await redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };

  describe('submit', () => {
    it('writes the hash, LPUSHes the id and sets the wake-up signal', async () => {
      const [id] = await submit('low');
      const hash = await redis.hgetall(k.hash(id));
      expect(hash).toEqual({
        job_id: id,
        job_type: 'send_email',
        priority: 'low',
        payload: '{"to":"a@example.com"}',
        status: 'pending',
        retry_count: '0',
        created_ts: expect.stringMatching(/^\d{10}\.\d{3}$/),
        picked_ts: '',
        completed_ts: '',
        available_after: '',
      });
      expect(await redis.lrange(k.low, 0, -1)).toEqual([id]);
      expect(await redis.llen(k.high)).toBe(0);
      expect(await redis.zrange(k.wake, '0', '-1')).toEqual(['w']);
    });

    it('is all or nothing: an existing id rejects the whole batch', async () => {
      const [existing] = await submit('high');
      const fresh = randomUUID();
      await expect(
        repo.submit([
          { id: fresh, type: 'send_email', priority: 'high', payloadJson: '{}' },
          { id: existing, type: 'send_email', priority: 'high', payloadJson: '{}' },
        ]),
      ).rejects.toMatchObject({ code: 'JOB.ID_CONFLICT' });
      expect(await redis.exists(k.hash(fresh))).toBe(0);
      expect(await redis.lrange(k.high, 0, -1)).toEqual([existing]);
    });
  });

  describe('claim', () => {
    it('moves a job to in-flight with a lease and marks it processing, in one step', async () => {
      const [id] = await submit('high');
      const before = await redisNowMs();
      const { jobs, nextDueInMs } = await repo.claim(1, 30_000, 'w1:1');
      expect(nextDueInMs).toBeNull();
      expect(jobs).toEqual([
        {
          id,
          token: 'w1:1:1',
          type: 'send_email',
          payload: { to: 'a@example.com' },
          retryCount: 0,
          priority: 'high',
          readySinceMs: expect.any(Number),
          startDelayMs: 0,
        },
      ]);
      expect(await redis.llen(k.high)).toBe(0);
      expect(await redis.hget(k.hash(id), 'lease_token')).toBe('w1:1:1');
      const deadline = Number(await redis.zscore(k.inflight, id));
      expect(deadline).toBeGreaterThanOrEqual(before + 30_000);
      expect(deadline).toBeLessThan(before + 40_000);
      const hash = await redis.hgetall(k.hash(id));
      expect(hash.status).toBe('processing');
      expect(Number(hash.picked_ts)).toBeGreaterThanOrEqual(Number(hash.created_ts));
    });

    it('takes high strictly before low, FIFO within a priority, up to the free slots', async () => {
      const lows = await submit('low', 3);
      const highs = await submit('high', 3);
      const first = await repo.claim(4, 30_000, 'w:1');
      expect(first.jobs.map((j) => j.id)).toEqual([...highs, lows[0]]);
      expect(first.jobs.map((j) => j.token)).toEqual(['w:1:1', 'w:1:2', 'w:1:3', 'w:1:4']);
      const second = await repo.claim(10, 30_000, 'w:2');
      expect(second.jobs.map((j) => j.id)).toEqual(lows.slice(1));
      expect((await repo.claim(10, 30_000, 'w:3')).jobs).toEqual([]);
    });

    it('passes the wake-up signal on while ready jobs remain', async () => {
      await submit('low', 2);
      await redis.del(k.wake);
      await repo.claim(1, 30_000, 'w:1');
      expect(await redis.zcard(k.wake)).toBe(1);
      await redis.del(k.wake);
      await repo.claim(1, 30_000, 'w:2');
      expect(await redis.zcard(k.wake)).toBe(0);
    });

    it('a rate-limited type: evenly spaced start slots within the horizon, the rest left in order', async () => {
      const throttle = {
        type: 'send_email',
        limit: 10,
        windowMs: 1000,
        toleranceMs: 0,
        horizonMs: 450,
      };
      const ids = await submit('high', 8);
      const first = await repo.claim(10, 30_000, 'w:1', throttle);
      // One start every 100 ms: the slots of the next 450 ms.
      expect(first.jobs.map((j) => j.id)).toEqual(ids.slice(0, 5));
      expect(first.jobs.map((j) => j.startDelayMs)).toEqual([0, 100, 200, 300, 400]);
      // The next slot (500 ms) is past the horizon: look again when half of it is free.
      expect(first.throttledForMs).toBeGreaterThan(250);
      expect(first.throttledForMs).toBeLessThanOrEqual(275);
      // Nothing was popped beyond what was claimed: the rest keep their order.
      expect(await redis.lrange(k.high, 0, -1)).toEqual(ids.slice(5).reverse());
      const picked = await Promise.all(
        first.jobs.map(async (j) => Number(await redis.hget(k.hash(j.id), 'picked_ts'))),
      );
      picked.slice(1).forEach((t, i) => expect(t - picked[i]).toBeCloseTo(0.1, 2));
      // Another worker claiming at once gets no slot, and the same advice.
      const second = await repo.claim(10, 30_000, 'w:2', throttle);
      expect(second.jobs).toEqual([]);
      expect(second.throttledForMs).toBeGreaterThan(200);
      // Without the rate limit (another job type), claims are not held back.
      expect((await repo.claim(10, 30_000, 'w:3')).jobs).toHaveLength(3);
    });

    it('skips an id whose hash is gone', async () => {
      const [a, b] = await submit('high', 2);
      await redis.del(k.hash(a));
      const { jobs } = await repo.claim(2, 30_000, 'w:1');
      expect(jobs.map((j) => j.id)).toEqual([b]);
      expect(await redis.zscore(k.inflight, a)).toBeNull();
    });
  });

  describe('fail-or-retry and promote-due', () => {
    it('schedules a retry: pending, retry_count+1, available_after, delayed set, last_error', async () => {
      const [id] = await submit('high');
      const [job] = (await repo.claim(1, 30_000, 'w:1')).jobs;
      const before = await redisNowMs();
      const outcome = await repo.fail(job, 'boom', { delayMs: 60_000, permanent: false });
      expect(outcome).toBe('retry-scheduled');
      const hash = await redis.hgetall(k.hash(id));
      expect(hash).toMatchObject({ status: 'pending', retry_count: '1', last_error: 'boom' });
      const dueAt = Number(await redis.zscore(k.delayed, id));
      expect(dueAt).toBeGreaterThanOrEqual(before + 60_000);
      expect(Number(hash.available_after)).toBeCloseTo(dueAt / 1000, 3);
      expect(await redis.zscore(k.inflight, id)).toBeNull();
      expect(await redis.hget(k.hash(id), 'lease_token')).toBe('');
      expect(await redis.llen(k.high)).toBe(0);
      // Not due: claim leaves it in the delayed set and reports when it is.
      const claim = await repo.claim(5, 30_000, 'w:2');
      expect(claim.jobs).toEqual([]);
      expect(claim.nextDueInMs).toBeGreaterThan(50_000);
      expect(claim.nextDueInMs).toBeLessThanOrEqual(60_000);
    });

    it('a job in backoff does not hold up ready low-priority jobs', async () => {
      await submit('high');
      const [high] = (await repo.claim(1, 30_000, 'w:1')).jobs;
      await repo.fail(high, 'boom', { delayMs: 60_000, permanent: false });
      const lows = await submit('low', 2);
      expect((await repo.claim(5, 30_000, 'w:2')).jobs.map((j) => j.id)).toEqual(lows);
    });

    it('promotes due retries to the consuming end of their list, earliest first, ahead of newer jobs', async () => {
      const [a, b] = await submit('high', 2);
      const claimed = (await repo.claim(2, 30_000, 'w:1')).jobs;
      await repo.fail(claimed[1], 'x', { delayMs: 0, permanent: false }); // b due first
      await repo.fail(claimed[0], 'x', { delayMs: 1, permanent: false }); // a due next
      const [fresh] = await submit('high');
      await waitFor(
        async () => (await redis.zrangebyscore(k.delayed, '-inf', await redisNowMs())).length === 2,
        {
          what: 'both retries due',
        },
      );
      const { jobs } = await repo.claim(3, 30_000, 'w:2');
      expect(jobs.map((j) => j.id)).toEqual([b, a, fresh]);
      expect(jobs.map((j) => j.retryCount)).toEqual([1, 1, 0]);
      expect(await redis.zcard(k.delayed)).toBe(0);
    });

    it('a due high retry beats a ready low job', async () => {
      await submit('high');
      const [high] = (await repo.claim(1, 30_000, 'w:1')).jobs;
      await repo.fail(high, 'x', { delayMs: 0, permanent: false });
      await submit('low');
      expect((await repo.claim(1, 30_000, 'w:2')).jobs[0].id).toBe(high.id);
    });

    it('fails for good once retries are used up: retry_count stays at the maximum', async () => {
      const repo = repositoryFor(redis, prefix, { maxRetries: 2 });
      const [id] = await submit('low');
      let job = (await repo.claim(1, 30_000, 'w:0')).jobs[0];
      for (let retry = 1; retry <= 2; retry++) {
        expect(await repo.fail(job, `attempt ${retry}`, { delayMs: 0, permanent: false })).toBe(
          'retry-scheduled',
        );
        job = await waitFor(async () => (await repo.claim(1, 30_000, `w:${retry}`)).jobs[0], {
          what: 'retry',
        });
        expect(job.retryCount).toBe(retry);
      }
      expect(await repo.fail(job, 'last', { delayMs: 0, permanent: false })).toBe('failed');
      const hash = await redis.hgetall(k.hash(id));
      expect(hash).toMatchObject({ status: 'failed', retry_count: '2', last_error: 'last' });
      expect(Number(hash.completed_ts)).toBeGreaterThan(0);
      expect(await redis.zscore(k.delayed, id)).toBeNull();
      expect(await redis.ttl(k.hash(id))).toBe(-1);
    });

    it('a permanent failure fails at once, keeping retry_count', async () => {
      const [id] = await submit('high');
      const [job] = (await repo.claim(1, 30_000, 'w:1')).jobs;
      expect(await repo.fail(job, 'SMTP 550', { delayMs: 0, permanent: true })).toBe('failed');
      expect(await redis.hgetall(k.hash(id))).toMatchObject({
        status: 'failed',
        retry_count: '0',
        last_error: 'SMTP 550',
      });
    });
  });

  describe('complete', () => {
    it('completes owned leases and refuses stale tokens, per job', async () => {
      const [a, b] = await submit('high', 2);
      const [ja, jb] = (await repo.claim(2, 30_000, 'w:1')).jobs;
      const results = await repo.complete([ja, { ...jb, token: 'someone-else' }]);
      expect(results).toEqual([true, false]);
      expect(await redis.hgetall(k.hash(a))).toMatchObject({
        status: 'completed',
        completed_ts: expect.stringMatching(/\./),
      });
      expect(await redis.hget(k.hash(b), 'status')).toBe('processing');
      expect(await redis.zrange(k.inflight, '0', '-1')).toEqual([b]);
      expect(await redis.hget(k.hash(a), 'lease_token')).toBe('');
      expect(await redis.hget(k.hash(b), 'lease_token')).toBe(jb.token);
      // Completing twice is refused: a job is never finished twice.
      expect(await repo.complete([ja])).toEqual([false]);
    });

    it('sets the retention TTL on finished jobs', async () => {
      const [a, b] = await submit('high', 2);
      const retaining = repositoryFor(redis, prefix, {
        maxRetries: 0,
        retention: { completedS: 100, failedS: 1000 },
      });
      const [ja, jb] = (await retaining.claim(2, 30_000, 'w:1')).jobs;
      await retaining.complete([ja]);
      await retaining.fail(jb, 'x', { delayMs: 0, permanent: false });
      expect(await redis.ttl(k.hash(a))).toBeGreaterThan(90);
      expect(await redis.ttl(k.hash(a))).toBeLessThanOrEqual(100);
      expect(await redis.ttl(k.hash(b))).toBeGreaterThan(990);
    });
  });

  describe('leases', () => {
    it('heartbeat extends owned leases and reports lost ones', async () => {
      const [a, b] = await submit('high', 2);
      const [ja, jb] = (await repo.claim(2, 1_000, 'w:1')).jobs;
      const before = Number(await redis.zscore(k.inflight, a));
      await redis.hset(k.hash(b), 'lease_token', 'stolen');
      const { lost } = await repo.extendLeases([ja, jb], 60_000);
      expect(lost).toEqual([jb.token]);
      expect(Number(await redis.zscore(k.inflight, a))).toBeGreaterThan(before + 50_000);
      expect(Number(await redis.zscore(k.inflight, b))).toBeLessThan(before + 50_000);
    });

    it('recover-expired requeues jobs whose lease ran out at the consuming end, and revokes the lease', async () => {
      const [old] = await submit('high');
      const [stuck] = (await repo.claim(1, 1, 'dead:1')).jobs;
      const [live] = await submit('high');
      await repo.claim(1, 60_000, 'alive:1'); // takes `live`, lease valid
      await submit('high');
      await waitFor(
        async () => Number(await redis.zscore(k.inflight, old)) < (await redisNowMs()),
        { what: 'expiry' },
      );
      expect(await repo.recoverExpired()).toEqual([
        { id: old, outcome: 'requeued', stallCount: 1 },
      ]);
      expect(await redis.hget(k.hash(old), 'status')).toBe('pending');
      expect(await redis.lindex(k.high, -1)).toBe(old);
      expect(await redis.hget(k.hash(old), 'lease_token')).toBe('');
      expect(await redis.zscore(k.inflight, live)).not.toBeNull();
      expect(await repo.complete([stuck])).toEqual([false]);
      expect(await repo.fail(stuck, 'late', { delayMs: 0, permanent: false })).toBe('lease-lost');
      expect(await repo.recoverExpired()).toEqual([]);
    });

    it('release hands owned jobs back to the front of their list', async () => {
      await submit('low', 2);
      const [j1, j2] = (await repo.claim(2, 60_000, 'w:1')).jobs;
      await submit('low');
      expect(await repo.release([j1, { ...j2, token: 'not-mine' }])).toBe(1);
      expect(await redis.lindex(k.low, -1)).toBe(j1.id);
      expect(await redis.hget(k.hash(j1.id), 'status')).toBe('pending');
      expect(await redis.zrange(k.inflight, '0', '-1')).toEqual([j2.id]);
    });
  });

  describe('events', () => {
    const events = async () =>
      (await redis.xrange(`${prefix}:events`, '-', '+')).map(([, fields]) => {
        const event: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) event[fields[i]] = fields[i + 1];
        return event;
      });

    it('each state change writes its event in the same script', async () => {
      const [a, b] = await submit('high', 2);
      const [ja, jb] = (await repo.claim(2, 30_000, 'w:1')).jobs;
      await repo.complete([ja]);
      await repo.fail(jb, 'boom', { delayMs: 60_000, permanent: false });
      const list = await events();
      expect(list.map((e) => [e.event, e.job_id])).toEqual([
        ['submitted', a],
        ['submitted', b],
        ['processing', a],
        ['processing', b],
        ['completed', a],
        ['retry_scheduled', b],
      ]);
      for (const e of list) {
        expect(e).toMatchObject({ job_type: 'send_email', priority: 'high' });
        expect(Number(e.ts)).toBeGreaterThan(1e9);
      }
      expect(list[2].attempt).toBe('1');
      expect(list[5]).toMatchObject({
        error: 'boom',
        available_after: expect.stringMatching(/\./),
      });
      expect(await repo.cancel(b)).toBe('cancelled');
      expect((await events()).pop()).toMatchObject({ event: 'cancelled', job_id: b });
    });

    it('are capped near EVENTS_MAX_LEN, and off with EVENTS_ENABLED=false', async () => {
      const capped = repositoryFor(redis, prefix, { eventsMaxLen: 100 });
      for (let i = 0; i < 10; i++) {
        await capped.submit(
          Array.from({ length: 50 }, () => ({
            id: randomUUID(),
            type: 'send_email',
            priority: 'low' as const,
            payloadJson: '{}',
          })),
        );
      }
      // Trimmed approximately (whole stream nodes at a time), never far above the cap.
      expect(await redis.xlen(`${prefix}:events`)).toBeLessThan(300);
      await redis.del(`${prefix}:events`);
      const silent = repositoryFor(redis, prefix, { eventsMaxLen: 0 });
      await silent.submit([
        { id: randomUUID(), type: 'send_email', priority: 'low', payloadJson: '{}' },
      ]);
      expect(await redis.exists(`${prefix}:events`)).toBe(0);
    });
  });

  it('the work signal returns at once when woken and times out otherwise', async () => {
    const blocking = connect();
    const signal = new WorkSignal(redis, { queuePrefix: prefix });
    try {
      await redis.del(k.wake);
      expect(await signal.wait(blocking, 50)).toBe(false);
      const woken = signal.wait(blocking, 10_000);
      await submit('high');
      expect(await woken).toBe(true);
      expect(await redis.zcard(k.wake)).toBe(0);
    } finally {
      blocking.disconnect();
    }
  });
});
