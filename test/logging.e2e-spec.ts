import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { testEnv } from './support/apps';
import { ApiClient } from './support/api-client';
import { request } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { freePort, TestRedisServer } from './support/redis-server';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

type Line = Record<string, unknown> & { level: string; msg: string };

const API_KEY = 'logging-test-key-0123456789';
const REDIS_PASSWORD = 'redis-pass-never-logged';
const MAILBOX = 'alice.private';
const SUBJECT = 'Subject never logged';
const BODY = 'Body never logged';
const QUERY_SECRET = 'query-secret-never-logged';
const job = (priority: 'high' | 'low' = 'high') => ({
  job_type: 'send_email',
  priority,
  payload: { to: `${MAILBOX}@example.com`, subject: SUBJECT, body: BODY },
});

/** Every stdout line as JSON (the test fails on a line that is not). */
function jsonLines(output: string): Line[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

function expectNoSecrets(output: string): void {
  for (const secret of [API_KEY, REDIS_PASSWORD, MAILBOX, SUBJECT, BODY, QUERY_SECRET]) {
    expect(output).not.toContain(secret);
  }
}

/** Lines about one job carry its id, type and attempt number. */
function expectJobFields(lines: Line[]): void {
  for (const line of lines.filter((l) => 'job_id' in l)) {
    expect(line).toMatchObject({
      job_id: expect.any(String),
      job_type: 'send_email',
      attempt: expect.any(Number),
    });
  }
}

describe('JSON log lines of real processes', () => {
  let redis: Redis;
  let server: TestRedisServer;
  const children: NodeProcess[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    redis = connect();
    server = await TestRedisServer.start({ config: { requirepass: REDIS_PASSWORD } });
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
    const own = connect(server.url);
    for (const prefix of prefixes.splice(0)) {
      await deletePrefix(redis, prefix);
      await deletePrefix(own, prefix);
    }
    own.disconnect();
  });

  afterAll(async () => {
    redis.disconnect();
    await server.destroy();
  });

  function spawn(script: string, env: Record<string, string>) {
    const prefix = uniquePrefix('logging');
    prefixes.push(prefix);
    const child = spawnNode(
      script,
      testEnv({
        REDIS_URL: server.url,
        QUEUE_PREFIX: prefix,
        HOST: '127.0.0.1',
        // The default level: unset.
        LOG_LEVEL: '',
        ...env,
      }),
    );
    children.push(child);
    return { child, prefix };
  }

  async function spawnApi(env: Record<string, string>) {
    const port = await freePort();
    const { child, prefix } = spawn('dist/main.js', { PORT: String(port), ...env });
    await child.waitForOutput('API listening');
    return { child, prefix, base: `http://127.0.0.1:${port}` };
  }

  it('API with its worker at the default level: start-up, requests with ids, retries and failures, stop', async () => {
    const { child, base, prefix } = await spawnApi({
      WORKER_ENABLED: 'true',
      API_KEYS: API_KEY,
      EMAIL_SIMULATED_FAILURE_RATE: '1',
      JOB_MAX_RETRIES: '1',
      JOB_BACKOFF_BASE_MS: '10',
    });

    const named = await request(`${base}/submit-job?api_key=${QUERY_SECRET}`, {
      method: 'POST',
      json: job(),
      headers: { 'x-api-key': API_KEY, 'x-request-id': 'order-42.retry:1' },
    });
    expect(named.status).toBe(201);
    expect(named.headers.get('x-request-id')).toBe('order-42.retry:1');
    const unnamed = await request(`${base}/submit-job`, {
      method: 'POST',
      json: job('low'),
      headers: { authorization: `Bearer ${API_KEY}`, 'x-request-id': 'not a "sane" id' },
    });
    expect(unnamed.status).toBe(201);
    const generated = unnamed.headers.get('x-request-id') ?? '';
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const refused = await request(`${base}/stats`);
    expect(refused.status).toBe(401);
    const ids = [named.body.job_id as string, unnamed.body.job_id as string];
    const own = connect(server.url);
    try {
      await waitFor(
        async () =>
          (await Promise.all(ids.map((id) => own.hget(`${prefix}:hash:${id}`, 'status')))).every(
            (status) => status === 'failed',
          ),
        { what: 'both jobs failed' },
      );
    } finally {
      own.disconnect();
    }
    await waitFor(() => child.output().split('Job failed').length - 1 === 2, {
      what: 'both failures logged',
    });

    child.child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const output = child.stdout();
    expect(child.stderr()).toBe('');
    expectNoSecrets(output);
    const lines = jsonLines(output);
    for (const line of lines) {
      expect(line).toMatchObject({
        level: expect.any(String),
        time: expect.any(String),
        msg: expect.any(String),
      });
      expect(['fatal', 'error', 'warn', 'info']).toContain(line.level);
    }

    // Start-up: the configuration without secrets (the Redis URL without its password).
    expect(lines.find((l) => l.msg === 'Configuration')).toMatchObject({
      level: 'info',
      role: 'api',
      redis: `redis://127.0.0.1:${server.port}`,
      queue_prefix: expect.any(String),
      concurrency: 5,
      api_keys: 1,
    });
    expect(lines.some((l) => l.context === 'Redis' && /connected$/.test(l.msg))).toBe(true);

    // Request lines: the id taken from the request or generated, method, path without query.
    const requests = lines.filter((l) => l.msg === 'request completed');
    expect(requests.find((l) => l.request_id === 'order-42.retry:1')).toMatchObject({
      level: 'info',
      req: { method: 'POST', url: '/submit-job', route: '/submit-job' },
      res: { status_code: 201 },
      duration_ms: expect.any(Number),
    });
    expect(requests.find((l) => l.request_id === generated)).toMatchObject({
      req: { method: 'POST', url: '/submit-job' },
    });
    expect(requests.find((l) => (l.req as { url: string }).url === '/stats')).toMatchObject({
      level: 'warn',
      res: { status_code: 401 },
    });
    for (const line of requests) {
      expect(line.request_id).toEqual(expect.any(String));
      expect(Object.keys(line.req as object).sort()).toEqual(['method', 'route', 'url']);
    }

    // Each job: a retry at info, then the failure as a warning, with the reason.
    expectJobFields(lines);
    for (const id of ids) {
      const about = lines.filter((l) => l.job_id === id);
      expect(about.find((l) => l.msg === 'Attempt failed: retry scheduled')).toMatchObject({
        level: 'info',
        attempt: 1,
        error: 'simulated send failure',
        retry_in_ms: expect.any(Number),
        recipient_domain: 'example.com',
      });
      expect(about.find((l) => l.msg.startsWith('Job failed'))).toMatchObject({
        level: 'warn',
        attempt: 2,
        error: 'simulated send failure',
      });
    }
    // A success per job is debug: not at the default level.
    expect(lines.some((l) => l.msg === 'Job completed')).toBe(false);

    expect(lines.some((l) => l.msg === 'SIGTERM received: draining')).toBe(true);
    expect(lines.some((l) => /^Worker \S+ stopped$/.test(l.msg))).toBe(true);
  });

  it('LOG_LEVEL=debug adds a line per completed job; LOG_LEVEL=log (the old name) is info', async () => {
    const debug = await spawnApi({ WORKER_ENABLED: 'true', LOG_LEVEL: 'debug' });
    const client = new ApiClient(debug.base);
    const id = await client.submitId(job());
    await client.waitForStatus(id, 'completed');
    await waitFor(() => debug.child.output().includes('Job completed'), {
      what: 'the completion line',
    });
    const completed = jsonLines(debug.child.stdout()).find((l) => l.msg === 'Job completed');
    expect(completed).toMatchObject({
      level: 'debug',
      job_id: id,
      job_type: 'send_email',
      attempt: 1,
      run_ms: expect.any(Number),
    });
    expectNoSecrets(debug.child.stdout());

    const old = await spawnApi({ LOG_LEVEL: 'log' });
    expect(jsonLines(old.child.stdout()).find((l) => l.msg === 'Configuration')).toMatchObject({
      log_level: 'info',
    });
  });

  it('a job handed back at a normal shutdown is info, not a lost lease; a stall is logged with the job', async () => {
    const { child, prefix } = spawn('dist/worker.js', {
      METRICS_PORT: '0',
      EMAIL_SIMULATED_DURATION_MS: '600000',
      WORKER_SHUTDOWN_TIMEOUT_MS: '200',
      JOB_LEASE_MS: '1000',
    });
    await child.waitForOutput('started (concurrency');
    const own = connect(server.url);
    try {
      const repo = repositoryFor(own, prefix);
      const stalled = randomUUID();
      const running = randomUUID();
      const newJob = (id: string) => ({
        id,
        type: 'send_email',
        priority: 'high' as const,
        payloadJson: JSON.stringify(job().payload),
        recipient: `${MAILBOX}@example.com`,
      });
      // A job whose worker vanished: claimed elsewhere under a lease that has run out.
      // The worker is frozen meanwhile, or it could claim the job first.
      child.child.kill('SIGSTOP');
      try {
        await repo.submit([newJob(stalled)]);
        const { jobs } = await repo.claim(1, 1, 'vanished:1', undefined);
        expect(jobs.map((j) => j.id)).toEqual([stalled]);
      } finally {
        child.child.kill('SIGCONT');
      }
      await child.waitForOutput('Job stalled');
      await repo.submit([newJob(running)]);
      const statuses = () =>
        Promise.all([stalled, running].map((id) => own.hget(`${prefix}:hash:${id}`, 'status')));
      await waitFor(async () => (await statuses()).every((s) => s === 'processing'), {
        what: 'both jobs processing',
      });

      child.child.kill('SIGTERM');
      expect(await child.exited).toEqual({ code: 0, signal: null });
      const output = child.stdout();
      expectNoSecrets(output);
      const lines = jsonLines(output);
      expectJobFields(lines);
      expect(
        lines.find((l) => l.job_id === stalled && l.msg.startsWith('Job stalled')),
      ).toMatchObject({
        level: 'warn',
        job_type: 'send_email',
        attempt: 1,
        outcome: 'requeued',
        stall_count: 1,
      });
      const handedBack = lines.filter((l) => /handed .*back/.test(l.msg));
      expect(handedBack.map((l) => l.level)).toEqual(['info', 'info', 'info']);
      expect(
        handedBack
          .map((l) => l.job_id)
          .filter(Boolean)
          .sort(),
      ).toEqual([running, stalled].sort());
      expect(lines.filter((l) => /lease lost/i.test(l.msg))).toEqual([]);
      expect(lines.find((l) => l.msg === 'Configuration')).toMatchObject({ role: 'worker' });
    } finally {
      own.disconnect();
    }
  });

  it('a 503 while Redis is away: its lines carry the request id the caller sent', async () => {
    const own = await TestRedisServer.start();
    try {
      const { child, base } = await spawnApi({ REDIS_URL: own.url });
      await own.stop();
      const res = await request(`${base}/submit-job`, {
        method: 'POST',
        json: job(),
        headers: { 'x-request-id': 'while-redis-is-down' },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('x-request-id')).toBe('while-redis-is-down');
      await waitFor(() => child.output().includes('"status_code":503'), {
        what: 'the request line',
      });
      const about = jsonLines(child.stdout()).filter((l) => l.request_id === 'while-redis-is-down');
      expect(about.map((l) => [l.level, l.msg.split(':')[0]])).toEqual([
        ['warn', 'Redis unavailable'],
        ['error', 'request completed'],
      ]);
      expectNoSecrets(child.stdout());
    } finally {
      await own.destroy();
    }
  });

  it('LOG_FORMAT=pretty prints text for people', async () => {
    const { child } = await spawnApi({ LOG_FORMAT: 'pretty', REDIS_URL: SHARED_REDIS_URL });
    const output = child.stdout();
    expect(output).toMatch(/INFO.*\[Main\] API listening/);
    expect(output.split('\n')[0].startsWith('{')).toBe(false);
  });
});
