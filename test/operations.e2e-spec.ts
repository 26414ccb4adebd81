import Redis from 'ioredis';
import { once } from 'node:events';
import { ApiClient, JobJson } from './support/api-client';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob } from './support/http';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

/**
 * The operations contract over HTTP against a real Redis: scheduled jobs, finding
 * jobs, cancel, retry, retry-failed, purge and stats. Workers run in this process.
 */
describe('operations', () => {
  const prefix = uniquePrefix('ops');
  let redis: Redis;
  let api: TestApi;
  let client: ApiClient;
  let worker: TestWorker | undefined;

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: SHARED_REDIS_URL,
    QUEUE_PREFIX: prefix,
    ...extra,
  });

  async function runWorker(extra: Record<string, string> = {}): Promise<TestWorker> {
    worker = await startWorker(env(extra));
    return worker;
  }

  async function stopWorker(): Promise<void> {
    await worker?.close();
    worker = undefined;
  }

  /** Submits and returns the id; `extra` is merged into the envelope (priority, run_at, ...). */
  const submit = (
    to: string,
    extra: Record<string, unknown> = {},
    priority: 'high' | 'low' = 'low',
  ) => client.submitId({ ...emailJob(priority, to), ...extra });

  const redisNow = async (): Promise<number> => {
    const [s, us] = await redis.time();
    return Number(s) + Number(us) / 1e6;
  };

  beforeAll(async () => {
    redis = connect();
    api = await startApi(env());
    client = new ApiClient(api.baseUrl);
  });

  afterEach(async () => {
    await stopWorker();
    await deletePrefix(redis, prefix);
  });

  afterAll(async () => {
    await api.close();
    redis.disconnect();
  });

  describe('scheduled jobs', () => {
    const farFuture = () => new Date(Date.now() + 366 * 24 * 3600 * 1000).toISOString();

    it.each([
      [
        'both run_at and delay_ms',
        { run_at: '2030-01-01T00:00:00Z', delay_ms: 10 },
        ['run_at', 'delay_ms'],
      ],
      ['a date-time without an offset', { run_at: '2030-01-01T09:00:00' }, ['run_at']],
      ['a date without a time', { run_at: '2030-01-01' }, ['run_at']],
      ['an unparseable value', { run_at: 'tomorrow morning' }, ['run_at']],
      ['an impossible date', { run_at: '2030-02-30T00:00:00Z' }, ['run_at']],
      ['a time more than 365 days ahead', { run_at: 'FAR' }, ['run_at']],
      ['a negative delay', { delay_ms: -1 }, ['delay_ms']],
      ['a fractional delay', { delay_ms: 1.5 }, ['delay_ms']],
      ['a delay over 365 days', { delay_ms: 31_536_000_001 }, ['delay_ms']],
      ['a delay as a string', { delay_ms: '100' }, ['delay_ms']],
      ['run_at as a number', { run_at: 1893456000 }, ['run_at']],
    ])('refuses %s with a 400 naming the field, writing nothing', async (_what, fields, named) => {
      const schedule = { ...fields } as Record<string, unknown>;
      if (schedule.run_at === 'FAR') schedule.run_at = farFuture();
      const before = await keysUnder(redis, prefix);
      const res = await client.submit({ ...emailJob(), ...schedule });
      expect(res.status).toBe(400);
      const reported = (res.body.errors as { field: string }[]).map((e) => e.field);
      for (const field of named) expect(reported).toContain(field);
      expect(await keysUnder(redis, prefix)).toEqual(before);
      // The same rule in a batch names the item.
      const many = await client.submitMany([emailJob(), { ...emailJob(), ...schedule }]);
      expect(many.status).toBe(400);
      expect((many.body.errors as { field: string }[]).map((e) => e.field)).toContain(
        `jobs.1.${named[0]}`,
      );
    });

    it('accepts run_at with an offset and delay_ms, as pending with available_after set', async () => {
      const now = await redisNow();
      const at = new Date(Math.round((now + 3600) * 1000));
      const a = await submit('a@example.com', { run_at: at.toISOString() });
      // 10:00+01:00 is 09:00Z.
      const inParis = new Date(at.getTime() + 3600_000).toISOString().replace('Z', '+01:00');
      const b = await submit('b@example.com', { run_at: inParis });
      const c = await submit('c@example.com', { delay_ms: 60_000 });
      const [ja, jb, jc] = await Promise.all(
        [a, b, c].map(async (id) => (await client.status(id)).body),
      );
      expect(ja).toMatchObject({ status: 'pending' });
      expect(ja.available_after as number).toBeCloseTo(at.getTime() / 1000, 3);
      expect(jb.available_after as number).toBeCloseTo(at.getTime() / 1000, 3);
      expect(jc.available_after as number).toBeGreaterThanOrEqual(now + 59);
      expect(jc.available_after as number).toBeLessThan(now + 70);
      // They wait in the delayed set, not in a ready list.
      expect(await redis.zscore(`${prefix}:delayed`, a)).not.toBeNull();
      expect(await redis.llen(`${prefix}:queue:low`)).toBe(0);
    });

    it('a time in the past means now', async () => {
      const id = await submit('past@example.com', { run_at: '2001-01-01T00:00:00Z' });
      expect((await client.status(id)).body.available_after).toBeNull();
      expect(await redis.lrange(`${prefix}:queue:low`, 0, -1)).toEqual([id]);
    });

    it('runs once due, not before, and by priority among those due', async () => {
      // All due at one instant, so the order among them is the priority order.
      const runAt = new Date(Math.round(((await redisNow()) + 0.8) * 1000)).toISOString();
      const [lows, highs] = [[] as string[], [] as string[]];
      for (let i = 0; i < 3; i++) lows.push(await submit(`low${i}@example.com`, { run_at: runAt }));
      for (let i = 0; i < 3; i++) {
        highs.push(await submit(`high${i}@example.com`, { run_at: runAt }, 'high'));
      }
      const ready = await submit('ready@example.com');
      const started: string[] = [];
      const w = await runWorker({ WORKER_CONCURRENCY: '1' });
      w.worker.events.on('attempt', (job) => started.push(job.id));
      await client.waitForStatus(ready, 'completed');
      // A ready job is not held up by the scheduled ones.
      expect(started).toEqual([ready]);
      const done = await Promise.all(
        [...highs, ...lows].map((id) => client.waitForStatus(id, 'completed')),
      );
      const due = Date.parse(runAt) / 1000;
      for (const job of done) {
        expect(job.picked_ts as number).toBeGreaterThanOrEqual(due);
        expect(job.available_after).toBeNull();
      }
      // One worker slot: the highs ran before the lows (among jobs due at one instant
      // the order is not the submission order).
      expect(started.slice(1, 4).sort()).toEqual([...highs].sort());
      expect(started.slice(4).sort()).toEqual([...lows].sort());
    });

    it('a scheduled job can be cancelled before it runs, and never runs', async () => {
      const id = await submit('later@example.com', { delay_ms: 200 });
      const cancelled = await client.cancel(id);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', available_after: null });
      expect(await redis.zcard(`${prefix}:delayed`)).toBe(0);
      const w = await runWorker();
      const started: string[] = [];
      w.worker.events.on('attempt', (job) => started.push(job.id));
      const after = await submit('after@example.com', { delay_ms: 300 });
      await client.waitForStatus(after, 'completed');
      expect(started).toEqual([after]);
      expect((await client.status(id)).body.status).toBe('cancelled');
    });
  });

  describe('finding jobs', () => {
    /** 30 pending jobs (10 high), three of them to Carol, and 5 of the others cancelled. */
    async function knownJobs() {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const to = i % 10 === 3 ? `Carol@Example.com` : `user${i}@example.com`;
        ids.push(await submit(to, {}, i % 3 === 0 ? 'high' : 'low'));
      }
      const cancelled = [ids[1], ids[2], ids[4], ids[5], ids[7]];
      for (const id of cancelled) expect((await client.cancel(id)).status).toBe(200);
      const all = await Promise.all(ids.map(async (id) => (await client.status(id)).body));
      return { all, cancelled };
    }

    const newestFirst = (jobs: JobJson[]) =>
      [...jobs].sort(
        (a, b) =>
          (b.created_ts as number) - (a.created_ts as number) || (a.job_id < b.job_id ? 1 : -1),
      );

    it('lists newest first by created_ts, ties by job_id, with every filter', async () => {
      const { all, cancelled } = await knownJobs();
      const ids = (jobs: JobJson[]) => jobs.map((j) => j.job_id);

      const everything = await client.list({ limit: 500 });
      expect(everything.status).toBe(200);
      expect(everything.body.next_cursor).toBeNull();
      expect(ids(everything.body.jobs)).toEqual(ids(newestFirst(all)));
      // Each entry is the object GET /jobs/status/{id} returns.
      expect(everything.body.jobs.find((j) => j.job_id === all[0].job_id)).toEqual(all[0]);

      const pending = await client.list({ status: 'pending', limit: 500 });
      expect(ids(pending.body.jobs)).toEqual(
        ids(newestFirst(all.filter((j) => j.status === 'pending'))),
      );
      const onlyCancelled = await client.list({ status: 'cancelled' });
      expect(ids(onlyCancelled.body.jobs).sort()).toEqual([...cancelled].sort());

      const high = await client.list({ priority: 'high', limit: 500 });
      expect(ids(high.body.jobs)).toEqual(
        ids(newestFirst(all.filter((j) => j.priority === 'high'))),
      );

      const carol = await client.list({ to: 'carol@EXAMPLE.com' });
      const carols = all.filter((j) => (j.payload as { to: string }).to === 'Carol@Example.com');
      expect(carols).toHaveLength(3);
      expect(ids(carol.body.jobs)).toEqual(ids(newestFirst(carols)));

      const carolPending = await client.list({ to: 'carol@example.com', status: 'pending' });
      expect(ids(carolPending.body.jobs)).toEqual(
        ids(newestFirst(carols.filter((j) => j.status === 'pending'))),
      );
      const both = await client.list({
        to: 'carol@example.com',
        status: 'pending',
        priority: 'high',
      });
      expect(ids(both.body.jobs)).toEqual(
        ids(newestFirst(carols.filter((j) => j.status === 'pending' && j.priority === 'high'))),
      );

      expect((await client.list({ job_type: 'send_email', limit: 500 })).body.jobs).toHaveLength(
        30,
      );
      expect((await client.list({ job_type: 'no_such_type' })).body).toEqual({
        jobs: [],
        next_cursor: null,
      });
      expect((await client.list({ status: 'processing' })).body.jobs).toEqual([]);
      expect((await client.list({ to: 'nobody@example.com' })).body.jobs).toEqual([]);
    });

    it('pages with next_cursor: every job exactly once, in order', async () => {
      const { all } = await knownJobs();
      const queries: Record<string, string>[] = [
        {},
        { status: 'pending' },
        { priority: 'low' },
        { to: 'carol@example.com' },
      ];
      for (const query of queries) {
        const paged = await client.listAll({ ...query, limit: 4 });
        const full = (await client.list({ ...query, limit: 500 })).body.jobs;
        expect(paged.map((j) => j.job_id)).toEqual(full.map((j) => j.job_id));
      }
      expect((await client.listAll({ limit: 7 })).length).toBe(all.length);
    });

    it('pages through jobs created in the same millisecond (a bulk submit) by job_id', async () => {
      const res = await client.submitMany(
        Array.from({ length: 40 }, (_, i) => emailJob(i % 2 ? 'high' : 'low', 'bulk@example.com')),
      );
      const ids = res.body.job_ids;
      const sorted = [...ids].sort().reverse();
      const queries: Record<string, string>[] = [
        {},
        { to: 'bulk@example.com' },
        { status: 'pending' },
      ];
      for (const query of queries) {
        const paged = await client.listAll({ ...query, limit: 3 });
        expect(paged.map((j) => j.job_id)).toEqual(sorted);
      }
    });

    it('returns every job that matched throughout exactly once while others are submitted, run and expire', async () => {
      // 60 completed jobs to page through.
      await runWorker({ WORKER_CONCURRENCY: '10' });
      const completed: string[] = [];
      for (let i = 0; i < 60; i++) completed.push(await submit(`c${i}@example.com`));
      await Promise.all(completed.map((id) => client.waitForStatus(id, 'completed')));
      // 40 pending jobs that a worker will run while we page over everything.
      await stopWorker();
      const moving: string[] = [];
      for (let i = 0; i < 40; i++) moving.push(await submit(`m${i}@example.com`));

      const expired = new Set(completed.slice(5, 15));
      const seenDone = await client.listAll({ status: 'completed', limit: 5 }, async (page) => {
        if (page === 1) {
          // Expire jobs further down the list (as their retention would), and add new ones.
          for (const id of expired) await redis.del(`${prefix}:hash:${id}`);
        }
      });
      const doneIds = seenDone.map((j) => j.job_id);
      expect(new Set(doneIds).size).toBe(doneIds.length);
      for (const id of completed) {
        if (!expired.has(id)) expect(doneIds.filter((x) => x === id)).toHaveLength(1);
      }
      for (const id of expired) expect(doneIds).not.toContain(id);

      // Unfiltered, while the 40 move from pending to completed and more arrive.
      let started = false;
      const seenAll = await client.listAll({ limit: 6 }, async (page) => {
        if (page === 2 && !started) {
          started = true;
          await runWorker({ WORKER_CONCURRENCY: '10' });
          for (let i = 0; i < 5; i++) await submit(`new${i}@example.com`);
        }
      });
      const allIds = seenAll.map((j) => j.job_id);
      expect(new Set(allIds).size).toBe(allIds.length);
      for (const id of [...moving, ...completed.filter((x) => !expired.has(x))]) {
        expect(allIds).toContain(id);
      }
    });

    it('GET /jobs/{id} answers exactly like GET /jobs/status/{id}', async () => {
      const id = await submit('same@example.com');
      expect((await client.job(id)).body).toEqual((await client.status(id)).body);
      expect((await client.job(id.toUpperCase())).body).toEqual((await client.status(id)).body);
      const unknown = 'a0458ceb-4f89-4828-9a90-9d5088b125c9';
      const [a, b] = [await client.job(unknown), await client.status(unknown)];
      expect([a.status, b.status]).toEqual([404, 404]);
      expect(a.body).toEqual(b.body);
      const [c, d] = [await client.job('not-a-uuid'), await client.status('not-a-uuid')];
      expect([c.status, d.status]).toEqual([400, 400]);
      expect(c.body).toEqual(d.body);
    });

    it.each([
      [{ colour: 'red' }, 'colour'],
      [{ status: 'done' }, 'status'],
      [{ priority: 'urgent' }, 'priority'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '501' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: '5.5' }, 'limit'],
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ cursor: Buffer.from('[1,"x",2]').toString('base64url') }, 'cursor'],
    ])('GET /jobs?%j is a 400 naming %s', async (query, field) => {
      const res = await client.list(query);
      expect(res.status).toBe(400);
      expect(
        (res.body as unknown as { errors: { field: string }[] }).errors.map((e) => e.field),
      ).toEqual([field]);
    });
  });

  describe('cancel', () => {
    it('a ready job: 200, cancelled with completed_ts, out of its queue, never runs', async () => {
      const id = await submit('stop@example.com', {}, 'high');
      const res = await client.cancel(id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ job_id: id, status: 'cancelled', available_after: null });
      expect(res.body.completed_ts).toEqual(expect.any(Number));
      expect(await redis.llen(`${prefix}:queue:high`)).toBe(0);
      const w = await runWorker();
      const started: string[] = [];
      w.worker.events.on('attempt', (job) => started.push(job.id));
      const other = await submit('go@example.com', {}, 'high');
      await client.waitForStatus(other, 'completed');
      expect(started).toEqual([other]);
      expect((await client.status(id)).body.status).toBe('cancelled');
    });

    it('a job waiting for a retry: 200, out of the delayed set', async () => {
      await runWorker({ EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_BACKOFF_BASE_MS: '60000' });
      const id = await submit('retry@example.com');
      await waitFor(async () => (await client.status(id)).body.retry_count === 1, {
        what: 'a retry',
      });
      const res = await client.cancel(id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'cancelled', retry_count: 1 });
      expect(await redis.zscore(`${prefix}:delayed`, id)).toBeNull();
    });

    it('a processing job: 202 with cancel_requested; the attempt is aborted within a second and never retried', async () => {
      const w = await runWorker({ EMAIL_SIMULATED_DURATION_MS: '60000', JOB_MAX_RETRIES: '3' });
      const attempt = once(w.worker.events, 'attempt');
      const id = await submit('long@example.com');
      await attempt;
      const settled = once(w.worker.events, 'settled');
      const askedAt = await redisNow();
      const res = await client.cancel(id);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ job_id: id, status: 'processing', cancel_requested: true });
      const [{ outcome }] = (await settled) as [{ outcome: string }];
      expect(outcome).toBe('cancelled');
      const job = (await client.status(id)).body;
      expect(job).toMatchObject({ status: 'cancelled', retry_count: 0, available_after: null });
      expect(job).not.toHaveProperty('cancel_requested');
      expect(job.completed_ts as number).toBeLessThan(askedAt + 1);
      expect(await redis.zcard(`${prefix}:delayed`)).toBe(0);
      // Finished: a second cancel is refused.
      const again = await client.cancel(id);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'JOB.NOT_CANCELLABLE' });
    });

    it('a finished job: 409 JOB.NOT_CANCELLABLE; unknown: 404; bad id: 400', async () => {
      await runWorker();
      const id = await submit('done@example.com');
      await client.waitForStatus(id, 'completed');
      const res = await client.cancel(id);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        code: 'JOB.NOT_CANCELLABLE',
      });
      expect((await client.status(id)).body.status).toBe('completed');
      expect((await client.cancel('a0458ceb-4f89-4828-9a90-9d5088b125c9')).status).toBe(404);
      const bad = await client.cancel('nope');
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'job_id', message: expect.any(String) }]);
    });
  });

  describe('retry', () => {
    async function failedJobs(n: number, priority: (i: number) => 'high' | 'low') {
      await runWorker({ EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_MAX_RETRIES: '0' });
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push(await submit(`f${i}@example.com`, {}, priority(i)));
      await Promise.all(ids.map((id) => client.waitForStatus(id, 'failed')));
      await stopWorker();
      return ids;
    }

    it('a failed job runs again as a new one: pending, retry_count 0, last_error kept, at the back of its queue', async () => {
      const [failed] = await failedJobs(1, () => 'low');
      const waiting = await submit('first@example.com');
      const res = await client.retry(failed.toUpperCase());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        job_id: failed,
        status: 'pending',
        retry_count: 0,
        completed_ts: null,
        last_error: expect.stringContaining('simulated'),
      });
      // Consumed from the right: the job submitted earlier runs first.
      expect(await redis.lrange(`${prefix}:queue:low`, 0, -1)).toEqual([failed, waiting]);
      await runWorker();
      await client.waitForStatus(failed, 'completed');
    });

    it('a cancelled job can be retried; other states are 409 JOB.NOT_RETRYABLE; unknown 404', async () => {
      const id = await submit('c@example.com');
      expect((await client.retry(id)).body).toMatchObject({ code: 'JOB.NOT_RETRYABLE' });
      expect((await client.retry(id)).status).toBe(409);
      await client.cancel(id);
      expect((await client.retry(id)).body).toMatchObject({ status: 'pending' });
      expect((await client.retry('a0458ceb-4f89-4828-9a90-9d5088b125c9')).status).toBe(404);
    });

    it('retry-failed takes every matching failed job, up to max', async () => {
      const ids = await failedJobs(6, (i) => (i < 2 ? 'high' : 'low'));
      expect((await client.retryFailed({ priority: 'high' })).body).toEqual({ retried: 2 });
      expect((await client.retryFailed({ max: 3 })).body).toEqual({ retried: 3 });
      expect((await client.retryFailed({ job_type: 'no_such_type' })).body).toEqual({ retried: 0 });
      // No body at all: all that are left.
      expect((await client.retryFailed()).body).toEqual({ retried: 1 });
      const states = await Promise.all(
        ids.map(async (id) => (await client.status(id)).body.status),
      );
      expect(states).toEqual(ids.map(() => 'pending'));
      for (const bad of [{ max: 0 }, { max: 100_001 }, { priority: 'x' }, { extra: 1 }]) {
        expect((await client.retryFailed(bad)).status).toBe(400);
      }
    });
  });

  describe('purge', () => {
    it('deletes finished jobs of one state, with their index entries; refuses other states', async () => {
      await runWorker();
      const done: string[] = [];
      for (let i = 0; i < 5; i++) done.push(await submit('purge@example.com'));
      await Promise.all(done.map((id) => client.waitForStatus(id, 'completed')));
      const cancelled = await submit('keep@example.com', { delay_ms: 60_000 });
      await client.cancel(cancelled);

      expect((await client.purge({ status: 'completed', older_than_s: 3600 })).body).toEqual({
        deleted: 0,
      });
      expect((await client.purge({ status: 'completed' })).body).toEqual({ deleted: 5 });
      for (const id of done) expect((await client.status(id)).status).toBe(404);
      expect((await client.list({ status: 'completed' })).body.jobs).toEqual([]);
      expect((await client.list({ to: 'purge@example.com' })).body.jobs).toEqual([]);
      expect(await redis.zcard(`${prefix}:index:all`)).toBe(1); // the cancelled job
      expect((await client.status(cancelled)).body.status).toBe('cancelled');

      for (const bad of [{ status: 'pending' }, {}, { status: 'failed', older_than_s: -1 }]) {
        const res = await client.purge(bad);
        expect(res.status).toBe(400);
      }
      expect((await client.status(cancelled)).status).toBe(200);
    });
  });

  describe('stats', () => {
    it('counts each state exactly after a known workload, and lists the live workers', async () => {
      // 2 failed, 3 completed, then 1 cancelled, 1 scheduled, 2 high + 1 low ready.
      await runWorker({ EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_MAX_RETRIES: '0' });
      const failed = [await submit('f1@example.com'), await submit('f2@example.com')];
      await Promise.all(failed.map((id) => client.waitForStatus(id, 'failed')));
      await stopWorker();
      await runWorker({ WORKER_CONCURRENCY: '3' });
      const done = [
        await submit('d1@example.com'),
        await submit('d2@example.com'),
        await submit('d3@example.com'),
      ];
      await Promise.all(done.map((id) => client.waitForStatus(id, 'completed')));
      await stopWorker();
      await client.cancel(await submit('x@example.com'));
      await submit('later@example.com', { delay_ms: 60_000 });
      await submit('h1@example.com', {}, 'high');
      await submit('h2@example.com', {}, 'high');
      await submit('l1@example.com');

      const stats = (await client.stats()).body as Record<string, unknown>;
      expect(stats).toMatchObject({
        ready: { high: 2, low: 1 },
        scheduled: 1,
        processing: 0,
        completed: 3,
        failed: 2,
        cancelled: 1,
        workers: [],
      });
      const ages = stats.oldest_ready_age_s as Record<string, number>;
      expect(ages.high).toBeGreaterThanOrEqual(0);
      expect(ages.low).toBeGreaterThanOrEqual(0);
      const throughput = stats.throughput as Record<string, number[]>;
      expect(throughput.completed_per_min).toHaveLength(60);
      expect(throughput.failed_per_min).toHaveLength(60);
      expect(throughput.completed_per_min.reduce((a, b) => a + b)).toBe(3);
      expect(throughput.failed_per_min.reduce((a, b) => a + b)).toBe(2);

      // A running worker is listed; a stopped one leaves the list.
      const live = await runWorker({ WORKER_CONCURRENCY: '7' });
      const ready = (await client.list({ status: 'pending', limit: 10 })).body.jobs
        .filter((j) => j.available_after === null)
        .map((j) => j.job_id);
      await Promise.all(ready.map((id) => client.waitForStatus(id, 'completed')));
      const workers = await waitFor(
        async () => {
          const list = (await client.stats()).body.workers as Record<string, unknown>[];
          return list.length === 1 && list;
        },
        { what: 'the worker to register' },
      );
      expect(workers[0]).toMatchObject({
        id: live.worker.workerId,
        pid: process.pid,
        concurrency: 7,
        started_ts: expect.any(Number),
        last_seen_ts: expect.any(Number),
      });
      await stopWorker();
      expect((await client.stats()).body.workers).toEqual([]);
      expect((await client.stats()).body).toMatchObject({
        ready: { high: 0, low: 0 },
        completed: 6,
      });
    });

    it('empty queue: zeros and nulls', async () => {
      expect((await client.stats()).body).toMatchObject({
        ready: { high: 0, low: 0 },
        scheduled: 0,
        processing: 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
        oldest_ready_age_s: { high: null, low: null },
        workers: [],
      });
    });
  });
});
