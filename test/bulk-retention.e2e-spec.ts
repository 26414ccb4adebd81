import Redis from 'ioredis';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob, request } from './support/http';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

describe('POST /submit-jobs (bulk)', () => {
  const prefix = uniquePrefix('bulk');
  let api: TestApi;
  let redis: Redis;

  beforeAll(async () => {
    redis = connect();
    api = await startApi({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix });
  });

  afterAll(async () => {
    await api.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  const bulk = (jobs: unknown) =>
    request(`${api.baseUrl}/submit-jobs`, { method: 'POST', json: { jobs } });

  it('creates every job, returns their ids in request order, queued FIFO by priority', async () => {
    const jobs = [
      emailJob('low', 'l1@example.com'),
      emailJob('high', 'h1@example.com'),
      emailJob('low', 'l2@example.com'),
    ];
    const res = await bulk(jobs);
    expect(res.status).toBe(201);
    const ids = res.body.job_ids as string[];
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const [i, id] of ids.entries()) {
      const status = await request(`${api.baseUrl}/jobs/status/${id}`);
      expect(status.body).toMatchObject({
        job_id: id,
        priority: jobs[i].priority,
        payload: jobs[i].payload,
        status: 'pending',
      });
    }
    // LPUSH on submit, consumed from the right: the first submitted is rightmost.
    expect(await redis.lrange(`${prefix}:queue:low`, 0, -1)).toEqual([ids[2], ids[0]]);
    expect(await redis.lrange(`${prefix}:queue:high`, 0, -1)).toEqual([ids[1]]);
  });

  it('accepts 1,000 jobs in one request', async () => {
    const res = await bulk(
      Array.from({ length: 1000 }, (_, i) => emailJob(i % 2 ? 'high' : 'low', `u${i}@example.com`)),
    );
    expect(res.status).toBe(201);
    expect(res.body.job_ids).toHaveLength(1000);
  });

  it.each([
    ['an empty list', [], 'jobs'],
    ['1,001 jobs', Array.from({ length: 1001 }, () => emailJob()), 'jobs'],
    ['a list that is not a list', { 0: emailJob() }, 'jobs'],
    [
      'an invalid e-mail at index 3',
      [emailJob(), emailJob(), emailJob(), emailJob('high', 'nope'), emailJob()],
      'jobs.3.payload.to',
    ],
    [
      'a bad priority at index 1',
      [emailJob(), { ...emailJob(), priority: 'urgent' }],
      'jobs.1.priority',
    ],
    ['an unknown job type at index 0', [{ ...emailJob(), job_type: 'fax' }], 'jobs.0.job_type'],
    ['an item that is not an object', [emailJob(), 'x'], 'jobs.1'],
  ])('rejects %s with 400 naming the field, writing nothing', async (_name, jobs, field) => {
    const before = await keysUnder(redis, prefix);
    const res = await bulk(jobs);
    expect(res.status).toBe(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields.some((f) => f === field || f.startsWith(`${field}.`))).toBe(true);
    expect((await keysUnder(redis, prefix)).sort()).toEqual(before.sort());
  });
});

describe('retention', () => {
  const prefix = uniquePrefix('retention');
  let api: TestApi;
  let worker: TestWorker | undefined;
  let redis: Redis;

  beforeAll(async () => {
    redis = connect();
    api = await startApi({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix });
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  afterAll(async () => {
    await api.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  const submit = async (to = 'keep@example.com') =>
    String(
      (await request(`${api.baseUrl}/submit-job`, { method: 'POST', json: emailJob('high', to) }))
        .body.job_id,
    );
  const statusOf = (id: string) => request(`${api.baseUrl}/jobs/status/${id}`);

  it('a finished job expires after its retention period, then its status is 404', async () => {
    worker = await startWorker({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      JOB_RETENTION_COMPLETED_S: '1',
      JOB_RETENTION_FAILED_S: '2',
    });
    const id = await submit();
    await waitFor(async () => (await statusOf(id)).body.status === 'completed', {
      what: 'completed',
    });
    const ttl = await redis.pttl(`${prefix}:hash:${id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await waitFor(async () => (await statusOf(id)).status === 404, { what: 'expired' });
    expect(await redis.exists(`${prefix}:hash:${id}`)).toBe(0);
  });

  it('failed jobs use JOB_RETENTION_FAILED_S', async () => {
    worker = await startWorker({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      EMAIL_SIMULATED_FAILURE_RATE: '1',
      JOB_MAX_RETRIES: '0',
      JOB_RETENTION_COMPLETED_S: '1',
      JOB_RETENTION_FAILED_S: '60',
    });
    const id = await submit();
    await waitFor(async () => (await statusOf(id)).body.status === 'failed', { what: 'failed' });
    const ttl = await redis.ttl(`${prefix}:hash:${id}`);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('0 keeps finished jobs forever', async () => {
    worker = await startWorker({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      JOB_RETENTION_COMPLETED_S: '0',
    });
    const id = await submit();
    await waitFor(async () => (await statusOf(id)).body.status === 'completed', {
      what: 'completed',
    });
    expect(await redis.ttl(`${prefix}:hash:${id}`)).toBe(-1);
  });

  it('jobs not yet finished never expire', async () => {
    const id = await submit();
    expect(await redis.ttl(`${prefix}:hash:${id}`)).toBe(-1);
  });
});
