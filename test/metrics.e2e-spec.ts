import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { QUEUE_SNAPSHOT_TTL_MS } from '../src/metrics/queue-metrics';
import { startApi, startWorker, TestApi, testEnv, TestWorker } from './support/apps';
import { ApiClient } from './support/api-client';
import { emailJob, request } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { parseMetrics, promtoolCheck, Sample, sampleValue, sumOf } from './support/prometheus';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { freePort } from './support/redis-server';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

const API_KEY = 'metrics-test-key-0123456789';

/** The route label values the API may produce: templates (and `unmatched`), never a raw path. */
const ROUTE_TEMPLATES = new Set([
  '/submit-job',
  '/submit-jobs',
  '/jobs/status/:job_id',
  '/jobs',
  '/jobs/:job_id',
  '/jobs/:job_id/cancel',
  '/metrics',
  '/health',
  'unmatched',
]);

async function scrape(base: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${base}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** promtool accepts the text, or the test says that it could not check. */
function expectPromtoolAccepts(text: string): void {
  const result = promtoolCheck(text);
  if (result === null) {
    console.info('promtool is not installed (apt-get install prometheus): format check skipped');
    return;
  }
  expect(result).toEqual({ status: 0, output: '' });
}

describe('Prometheus metrics of the API process (in-process worker)', () => {
  let redis: Redis;
  let api: TestApi | undefined;
  const prefixes: string[] = [];

  beforeAll(() => {
    redis = connect();
  });

  afterEach(async () => {
    await api?.close();
    api = undefined;
    for (const prefix of prefixes.splice(0)) await deletePrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  async function start(env: Record<string, string>): Promise<ApiClient> {
    const prefix = uniquePrefix('metrics');
    prefixes.push(prefix);
    api = await startApi({ QUEUE_PREFIX: prefix, ...env });
    return new ApiClient(api.baseUrl);
  }

  it('after a known workload: submissions, attempts, finished jobs, waits, runs, queue gauges and requests by route', async () => {
    const client = await start({ WORKER_ENABLED: 'true', EMAIL_SIMULATED_FAILURE_RATE: '0' });
    const ids = [
      await client.submitId(emailJob('high')),
      await client.submitId(emailJob('high')),
      await client.submitId(emailJob('high')),
    ];
    const bulk = await client.submitMany([emailJob('low'), emailJob('low')]);
    expect(bulk.status).toBe(201);
    ids.push(...bulk.body.job_ids);
    // An idempotent submit and its replay: one job, counted once.
    const first = await client.submit(emailJob('high'), { 'Idempotency-Key': 'metrics-once' });
    const replay = await client.submit(emailJob('high'), { 'Idempotency-Key': 'metrics-once' });
    expect([first.status, replay.status]).toEqual([201, 200]);
    ids.push(first.body.job_id);
    for (const id of ids) await client.waitForStatus(id, 'completed');
    await request(`${client.baseUrl}/no/such/route/${randomUUID()}`);

    // A job's "settled" event follows its completion in Redis: wait for the last one.
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parseMetrics(await scrape(client.baseUrl));
        return sumOf(samples, 'jobq_jobs_finished_total') === 6;
      },
      { what: 'six finished jobs in the metrics' },
    );
    const finishedJob = { job_type: 'send_email' };
    expect(
      sampleValue(samples, 'jobq_jobs_submitted_total', { ...finishedJob, priority: 'high' }),
    ).toBe(4);
    expect(
      sampleValue(samples, 'jobq_jobs_submitted_total', { ...finishedJob, priority: 'low' }),
    ).toBe(2);
    expect(
      sampleValue(samples, 'jobq_jobs_finished_total', { ...finishedJob, status: 'completed' }),
    ).toBe(6);
    expect(
      sampleValue(samples, 'jobq_attempts_total', { ...finishedJob, outcome: 'success' }),
    ).toBe(6);
    expect(sumOf(samples, 'jobq_attempts_total')).toBe(6);
    expect(
      sampleValue(samples, 'jobq_job_wait_seconds_count', { ...finishedJob, priority: 'high' }),
    ).toBe(4);
    expect(
      sampleValue(samples, 'jobq_job_wait_seconds_count', { ...finishedJob, priority: 'low' }),
    ).toBe(2);
    expect(
      sampleValue(samples, 'jobq_job_run_seconds_count', { ...finishedJob, outcome: 'success' }),
    ).toBe(6);
    // Every wait is in the +Inf bucket and the histogram sums are real durations.
    expect(sumOf(samples, 'jobq_job_wait_seconds_bucket', { le: '+Inf' })).toBe(6);
    expect(sumOf(samples, 'jobq_job_run_seconds_sum')).toBeGreaterThan(0);

    // Read from Redis at scrape time: the queue as it is now.
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'completed' })).toBe(6);
    for (const state of ['scheduled', 'processing', 'failed', 'cancelled']) {
      expect(sampleValue(samples, 'jobq_queue_jobs', { state })).toBe(0);
    }
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'ready', priority: 'high' })).toBe(0);
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'ready', priority: 'low' })).toBe(0);
    expect(sampleValue(samples, 'jobq_queue_oldest_ready_seconds', { priority: 'high' })).toBe(0);
    expect(sampleValue(samples, 'jobq_workers')).toBe(1);

    // Requests by route template.
    const http = (method: string, route: string, status: string) =>
      sampleValue(samples, 'jobq_http_requests_total', { method, route, status });
    expect(http('POST', '/submit-job', '201')).toBe(4);
    expect(http('POST', '/submit-job', '200')).toBe(1);
    expect(http('POST', '/submit-jobs', '201')).toBe(1);
    expect(http('GET', '/jobs/status/:job_id', '200')).toBeGreaterThanOrEqual(6);
    expect(http('GET', 'unmatched', '404')).toBe(1);
    const routes = samples
      .filter((s) => s.name === 'jobq_http_requests_total')
      .map((s) => s.labels.route);
    for (const route of routes) expect(ROUTE_TEMPLATES).toContain(route);
    expect(
      sampleValue(samples, 'jobq_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/submit-job',
      }),
    ).toBe(5);

    // prom-client's default process metrics.
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expectPromtoolAccepts(await scrape(client.baseUrl));
  });

  it('counts retries and failures, and the failed jobs in the queue gauge', async () => {
    const client = await start({
      WORKER_ENABLED: 'true',
      EMAIL_SIMULATED_FAILURE_RATE: '1',
      JOB_MAX_RETRIES: '1',
      JOB_BACKOFF_BASE_MS: '10',
    });
    const ids = [await client.submitId(emailJob('high')), await client.submitId(emailJob('low'))];
    for (const id of ids) await client.waitForStatus(id, 'failed');
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parseMetrics(await scrape(client.baseUrl));
        return sumOf(samples, 'jobq_jobs_finished_total') === 2;
      },
      { what: 'two finished jobs in the metrics' },
    );
    const t = { job_type: 'send_email' };
    expect(sampleValue(samples, 'jobq_attempts_total', { ...t, outcome: 'retry' })).toBe(2);
    expect(sampleValue(samples, 'jobq_attempts_total', { ...t, outcome: 'failed' })).toBe(2);
    expect(sampleValue(samples, 'jobq_jobs_finished_total', { ...t, status: 'failed' })).toBe(2);
    expect(sampleValue(samples, 'jobq_job_run_seconds_count', { ...t, outcome: 'retry' })).toBe(2);
    expect(sampleValue(samples, 'jobq_job_run_seconds_count', { ...t, outcome: 'failed' })).toBe(2);
    // A retry waits from its due time: four pick-ups in all.
    expect(sumOf(samples, 'jobq_job_wait_seconds_count')).toBe(4);
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'failed' })).toBe(2);
    expectPromtoolAccepts(await scrape(client.baseUrl));
  });

  it('queue gauges per state and priority with no worker; a cancelled waiting job counts as finished', async () => {
    const client = await start({ WORKER_ENABLED: 'false' });
    for (let i = 0; i < 3; i++) await client.submitId(emailJob('high'));
    for (let i = 0; i < 2; i++) await client.submitId(emailJob('low'));
    await client.submitId({ ...emailJob('low'), delay_ms: 600_000 });
    const later = await client.submitId({ ...emailJob('high'), delay_ms: 600_000 });
    expect((await client.cancel(later)).status).toBe(200);

    // The queue gauges of the scrape before may be up to QUEUE_SNAPSHOT_TTL_MS old.
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parseMetrics(await scrape(client.baseUrl));
        return sampleValue(samples, 'jobq_queue_jobs', { state: 'cancelled' }) === 1;
      },
      { what: 'the cancelled job in the gauges', timeoutMs: QUEUE_SNAPSHOT_TTL_MS * 10 },
    );
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'ready', priority: 'high' })).toBe(3);
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'ready', priority: 'low' })).toBe(2);
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'scheduled' })).toBe(1);
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'processing' })).toBe(0);
    expect(
      sampleValue(samples, 'jobq_queue_oldest_ready_seconds', { priority: 'high' }),
    ).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'jobq_workers')).toBe(0);
    expect(
      sampleValue(samples, 'jobq_jobs_finished_total', {
        job_type: 'send_email',
        status: 'cancelled',
      }),
    ).toBe(1);
    expect(sumOf(samples, 'jobq_jobs_submitted_total')).toBe(7);
    expect(sumOf(samples, 'jobq_attempts_total')).toBe(0);
  });

  it('is open like /health unless METRICS_REQUIRE_KEY=true, then it needs an API key', async () => {
    const open = await start({ API_KEYS: API_KEY });
    expect((await request(`${open.baseUrl}/stats`)).status).toBe(401);
    await scrape(open.baseUrl);
    await api?.close();

    const closed = await start({ API_KEYS: API_KEY, METRICS_REQUIRE_KEY: 'true' });
    const refused = await request(`${closed.baseUrl}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'AUTH.UNAUTHORIZED' });
    expect(
      (
        await request(`${closed.baseUrl}/metrics`, {
          headers: { 'x-api-key': 'wrong-key-000000000' },
        })
      ).status,
    ).toBe(401);
    await scrape(closed.baseUrl, { authorization: `Bearer ${API_KEY}` });
    await scrape(closed.baseUrl, { 'x-api-key': API_KEY });
    // Health stays open.
    expect((await request(`${closed.baseUrl}/health/ready`)).status).toBe(200);
  });
});

describe('Prometheus metrics of a headless worker (in this process)', () => {
  let redis: Redis;
  let worker: TestWorker | undefined;
  const prefix = uniquePrefix('metrics-worker');

  beforeAll(() => {
    redis = connect();
  });

  afterAll(async () => {
    await worker?.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('counts an attempt whose worker was lost as stalled when it recovers the job', async () => {
    const repo = repositoryFor(redis, prefix);
    const id = randomUUID();
    await repo.submit([
      {
        id,
        type: 'send_email',
        priority: 'high',
        payloadJson: JSON.stringify({ to: 'alice@example.com' }),
        recipient: 'alice@example.com',
      },
    ]);
    // A worker that vanished: it claimed the job under a lease that has already run out.
    const { jobs } = await repo.claim(1, 1, 'vanished:1', undefined);
    expect(jobs.map((j) => j.id)).toEqual([id]);

    worker = await startWorker({ QUEUE_PREFIX: prefix, METRICS_PORT: '0', JOB_LEASE_MS: '1000' });
    const registry = worker.context.get(Registry);
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parseMetrics(await registry.metrics());
        return sumOf(samples, 'jobq_jobs_finished_total') === 1;
      },
      { what: 'the recovered job to finish' },
    );
    const t = { job_type: 'send_email' };
    expect(sampleValue(samples, 'jobq_attempts_total', { ...t, outcome: 'stalled' })).toBe(1);
    expect(sampleValue(samples, 'jobq_attempts_total', { ...t, outcome: 'success' })).toBe(1);
    expect(sampleValue(samples, 'jobq_jobs_finished_total', { ...t, status: 'completed' })).toBe(1);
    // Submitting is the API's business: a worker counts none.
    expect(sumOf(samples, 'jobq_jobs_submitted_total')).toBe(0);
    expectPromtoolAccepts(await registry.metrics());
  });
});

describe('node dist/worker.js serves /metrics and health probes on METRICS_PORT', () => {
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

  async function spawnWorker(env: Record<string, string> = {}) {
    const prefix = uniquePrefix('metrics-process');
    prefixes.push(prefix);
    const port = await freePort();
    const child = spawnNode(
      'dist/worker.js',
      testEnv({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefix,
        HOST: '127.0.0.1',
        METRICS_PORT: String(port),
        LOG_LEVEL: 'info',
        ...env,
      }),
    );
    children.push(child);
    await child.waitForOutput('Metrics and health probes on');
    return { child, prefix, base: `http://127.0.0.1:${port}` };
  }

  it('metrics of the jobs it ran, process metrics, probes, and a clean exit', async () => {
    const { child, prefix, base } = await spawnWorker();
    const repo = repositoryFor(redis, prefix);
    const jobs = Array.from({ length: 5 }, () => ({
      id: randomUUID(),
      type: 'send_email',
      priority: 'low' as const,
      payloadJson: JSON.stringify({ to: 'bob@example.com' }),
      recipient: 'bob@example.com',
    }));
    await repo.submit(jobs);
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parseMetrics(await scrape(base));
        return sumOf(samples, 'jobq_jobs_finished_total') === 5;
      },
      { what: 'five finished jobs in the worker metrics' },
    );
    const t = { job_type: 'send_email' };
    expect(sampleValue(samples, 'jobq_attempts_total', { ...t, outcome: 'success' })).toBe(5);
    expect(sampleValue(samples, 'jobq_job_wait_seconds_count', { ...t, priority: 'low' })).toBe(5);
    expect(sampleValue(samples, 'jobq_queue_jobs', { state: 'completed' })).toBe(5);
    expect(sampleValue(samples, 'jobq_workers')).toBe(1);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expectPromtoolAccepts(await scrape(base));

    expect(await request(`${base}/health/live`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await request(`${base}/health/ready`)).toMatchObject({
      status: 200,
      body: { status: 'ok', checks: { redis: { status: 'up' }, process: { status: 'up' } } },
    });
    expect(await request(`${base}/other`)).toMatchObject({
      status: 404,
      body: { code: 'ROUTE.NOT_FOUND' },
    });

    child.child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('with METRICS_REQUIRE_KEY=true and API_KEYS set, /metrics needs a key; the probes do not', async () => {
    const { base } = await spawnWorker({ API_KEYS: API_KEY, METRICS_REQUIRE_KEY: 'true' });
    const refused = await request(`${base}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(refused.body).toMatchObject({ code: 'AUTH.UNAUTHORIZED' });
    await scrape(base, { authorization: `Bearer ${API_KEY}` });
    expect((await request(`${base}/health/ready`)).status).toBe(200);
  });
});
