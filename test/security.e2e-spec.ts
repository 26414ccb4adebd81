import Redis from 'ioredis';
import { startApi, TestApi } from './support/apps';
import { SteeringTestModule } from './support/steering-test.module';
import { emailJob, request } from './support/http';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';

const KEY_A = 'test-key-aaaaaaaaaaaaaaaa';
const KEY_B = 'test-key-bbbbbbbbbbbbbbbb';

describe('access control, rate limits, headers and idempotency', () => {
  let redis: Redis;
  const apis: TestApi[] = [];
  const prefixes: string[] = [];

  async function api(
    env: Record<string, string> = {},
    prefix = uniquePrefix('security'),
  ): Promise<TestApi & { prefix: string }> {
    prefixes.push(prefix);
    const started = await startApi({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix, ...env });
    apis.push(started);
    return { ...started, prefix };
  }

  const jobHashes = async (prefix: string) =>
    (await keysUnder(redis, prefix)).filter((k) => k.includes(':hash:'));

  beforeAll(() => {
    redis = connect();
  });

  afterAll(async () => {
    await Promise.all(apis.map((a) => a.close()));
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  describe('API keys', () => {
    let locked: TestApi & { prefix: string };

    beforeAll(async () => {
      locked = await api({ API_KEYS: `${KEY_A}, ${KEY_B}` });
    });

    it.each([
      ['no key', {}],
      ['a wrong key', { authorization: 'Bearer not-a-valid-key-at-all' }],
      ['a wrong X-API-Key', { 'x-api-key': `${KEY_A}x` }],
      ['a key prefix', { authorization: `Bearer ${KEY_A.slice(0, -1)}` }],
      ['an empty bearer', { authorization: 'Bearer ' }],
      ['basic auth', { authorization: `Basic ${Buffer.from(`x:${KEY_A}`).toString('base64')}` }],
    ])('refuses %s with 401 and writes nothing', async (_name, headers) => {
      const before = await keysUnder(redis, locked.prefix);
      const submit = await request(`${locked.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers,
      });
      expect(submit.status).toBe(401);
      expect(submit.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(submit.headers.get('www-authenticate')).toContain('Bearer');
      const status = await request(
        `${locked.baseUrl}/jobs/status/0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7`,
        { headers },
      );
      expect(status.status).toBe(401);
      expect(await keysUnder(redis, locked.prefix)).toEqual(before);
    });

    it('accepts Authorization: Bearer and X-API-Key, for every configured key', async () => {
      const viaBearer = await request(`${locked.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers: { authorization: `Bearer ${KEY_A}` },
      });
      expect(viaBearer.status).toBe(201);
      const viaHeader = await request(
        `${locked.baseUrl}/jobs/status/${String(viaBearer.body.job_id)}`,
        {
          headers: { 'x-api-key': KEY_B },
        },
      );
      expect(viaHeader.status).toBe(200);
    });

    it('leaves /health and, by default, the docs open', async () => {
      expect((await request(`${locked.baseUrl}/health`)).status).toBe(200);
      expect((await fetch(`${locked.baseUrl}/docs`)).status).toBe(200);
      expect((await fetch(`${locked.baseUrl}/docs-json`)).status).toBe(200);
      expect((await fetch(`${locked.baseUrl}/redoc`)).status).toBe(200);
    });

    it('DOCS_REQUIRE_KEY=true puts the docs behind a key too', async () => {
      const strict = await api({ API_KEYS: KEY_A, DOCS_REQUIRE_KEY: 'true' });
      expect((await fetch(`${strict.baseUrl}/docs-json`)).status).toBe(401);
      expect((await fetch(`${strict.baseUrl}/redoc`)).status).toBe(401);
      expect(
        (await fetch(`${strict.baseUrl}/docs-json`, { headers: { 'x-api-key': KEY_A } })).status,
      ).toBe(200);
      expect((await request(`${strict.baseUrl}/health`)).status).toBe(200);
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After over the limit, per API key, shared by every API instance', async () => {
      const prefix = uniquePrefix('ratelimit');
      const env = { API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_PER_MINUTE: '5' };
      const first = await api(env, prefix);
      const second = await api(env, prefix);
      const asA = { authorization: `Bearer ${KEY_A}` };
      const statuses: number[] = [];
      for (const instance of [first, second, first, second, first]) {
        statuses.push(
          (
            await request(`${instance.baseUrl}/submit-job`, {
              method: 'POST',
              json: emailJob(),
              headers: asA,
            })
          ).status,
        );
      }
      expect(statuses).toEqual([201, 201, 201, 201, 201]);
      const over = await request(`${second.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers: asA,
      });
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await jobHashes(prefix)).length).toBe(5);
      // Another key has its own budget; /health is never limited.
      const asB = await request(`${first.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers: { 'x-api-key': KEY_B },
      });
      expect(asB.status).toBe(201);
      expect((await request(`${first.baseUrl}/health`)).status).toBe(200);
    });

    it('limits per client address when the API is open (status reads: their own budget)', async () => {
      const open = await api({ RATE_LIMIT_READS_PER_MINUTE: '2' });
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (await request(`${open.baseUrl}/jobs/status/0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7`))
            .status,
        );
      expect(statuses).toEqual([404, 404, 429]);
    });
  });

  describe('admin keys (ADMIN_API_KEYS)', () => {
    const ADMIN = 'admin-key-cccccccccccccccc';

    /** A steering route for the test: @AdminOnly() on a controller of its own. */
    async function steeringApi(env: Record<string, string>) {
      const prefix = uniquePrefix('admin');
      prefixes.push(prefix);
      const started = await startApi(
        { REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix, ...env },
        [SteeringTestModule],
      );
      apis.push(started);
      return started;
    }

    const steer = (base: string, key?: string) =>
      request(`${base}/test-steer`, {
        method: 'POST',
        headers: key ? { 'x-api-key': key } : {},
      });

    it('with ADMIN_API_KEYS set, steering needs an admin key: 403 AUTH.FORBIDDEN for a plain key', async () => {
      const locked = await steeringApi({ API_KEYS: KEY_A, ADMIN_API_KEYS: ADMIN });
      const plain = await steer(locked.baseUrl, KEY_A);
      expect(plain.status).toBe(403);
      expect(plain.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'This operation needs an admin API key (ADMIN_API_KEYS)',
        code: 'AUTH.FORBIDDEN',
      });
      expect((await steer(locked.baseUrl)).status).toBe(401);
      expect((await steer(locked.baseUrl, ADMIN)).status).toBe(201);
      // An admin key may do everything a plain key may.
      const submitted = await request(`${locked.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers: { 'x-api-key': ADMIN },
      });
      expect(submitted.status).toBe(201);
    });

    it('without ADMIN_API_KEYS every API key may steer', async () => {
      const locked = await steeringApi({ API_KEYS: KEY_A });
      expect((await steer(locked.baseUrl, KEY_A)).status).toBe(201);
      expect((await steer(locked.baseUrl)).status).toBe(401);
    });
  });

  describe('TRUST_PROXY', () => {
    const statusOf = (base: string, forwardedFor: string) =>
      request(`${base}/jobs/status/0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7`, {
        headers: { 'x-forwarded-for': forwardedFor },
      }).then((r) => r.status);

    it('from a trusted proxy, each forwarded client has its own budget', async () => {
      const behind = await api({ TRUST_PROXY: '127.0.0.1', RATE_LIMIT_READS_PER_MINUTE: '1' });
      expect(await statusOf(behind.baseUrl, '203.0.113.1')).toBe(404);
      expect(await statusOf(behind.baseUrl, '203.0.113.2')).toBe(404);
      expect(await statusOf(behind.baseUrl, '203.0.113.1')).toBe(429);
    });

    it('from an untrusted peer, X-Forwarded-For is ignored: one budget for the peer', async () => {
      const direct = await api({ TRUST_PROXY: '10.0.0.0/8', RATE_LIMIT_READS_PER_MINUTE: '1' });
      expect(await statusOf(direct.baseUrl, '203.0.113.1')).toBe(404);
      expect(await statusOf(direct.baseUrl, '203.0.113.2')).toBe(429);
    });
  });

  describe('read budget (RATE_LIMIT_READS_PER_MINUTE)', () => {
    it('polling a job does not use up the submit budget, and has a limit of its own', async () => {
      const limited = await api({
        API_KEYS: KEY_A,
        RATE_LIMIT_PER_MINUTE: '2',
        RATE_LIMIT_READS_PER_MINUTE: '3',
      });
      const asA = { 'x-api-key': KEY_A };
      const first = await request(`${limited.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers: asA,
      });
      expect(first.status).toBe(201);
      const url = `${limited.baseUrl}/jobs/status/${String(first.body.job_id)}`;
      const reads = [];
      for (let i = 0; i < 4; i++) reads.push((await request(url, { headers: asA })).status);
      expect(reads).toEqual([200, 200, 200, 429]);
      const over = await request(url, { headers: asA });
      expect(over.body).toMatchObject({ code: 'RATE_LIMIT.EXCEEDED' });
      expect(over.headers.get('x-ratelimit-limit')).toBe('3');
      const second = await request(`${limited.baseUrl}/submit-job`, {
        method: 'POST',
        json: emailJob(),
        headers: asA,
      });
      expect(second.status).toBe(201);
      expect(second.headers.get('x-ratelimit-limit')).toBe('2');
    });
  });

  describe('headers', () => {
    let open: TestApi & { prefix: string };

    beforeAll(async () => {
      open = await api();
    });

    it('sets security headers on every response', async () => {
      for (const path of [
        '/health',
        '/jobs/status/nope',
        '/no-such-route',
        '/docs',
        '/redoc',
        '/docs-json',
      ]) {
        const res = await fetch(`${open.baseUrl}${path}`);
        expect({ path, nosniff: res.headers.get('x-content-type-options') }).toEqual({
          path,
          nosniff: 'nosniff',
        });
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      }
    });

    it('sends no CORS headers unless CORS_ORIGINS is set', async () => {
      const res = await fetch(`${open.baseUrl}/health`, {
        headers: { origin: 'http://evil.example' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${open.baseUrl}/submit-job`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows exactly the configured origins', async () => {
      const cors = await api({ CORS_ORIGINS: 'http://app.example.com' });
      const allowed = await fetch(`${cors.baseUrl}/health`, {
        headers: { origin: 'http://app.example.com' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.example.com');
      const other = await fetch(`${cors.baseUrl}/health`, {
        headers: { origin: 'http://evil.example' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('Idempotency-Key', () => {
    let open: TestApi & { prefix: string };

    beforeAll(async () => {
      open = await api({ API_KEYS: `${KEY_A},${KEY_B}` });
    });

    const submit = (body: unknown, key: string, apiKey = KEY_A, path = '/submit-job') =>
      request(`${open.baseUrl}${path}`, {
        method: 'POST',
        json: body,
        headers: { 'idempotency-key': key, 'x-api-key': apiKey },
      });

    it('the same key and body returns the same job (200) and creates nothing', async () => {
      const first = await submit(emailJob('high', 'idem@example.com'), 'order-1');
      expect(first.status).toBe(201);
      const before = await jobHashes(open.prefix);
      const again = await submit(emailJob('high', 'idem@example.com'), 'order-1');
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      // Key order does not make a different request.
      const reordered = await submit(
        {
          payload: emailJob('high', 'idem@example.com').payload,
          priority: 'high',
          job_type: 'send_email',
        },
        'order-1',
      );
      expect(reordered.status).toBe(200);
      expect(reordered.body.job_id).toBe(first.body.job_id);
      expect(await jobHashes(open.prefix)).toEqual(before);
      const ttl = await redis.ttl(
        (await keysUnder(redis, open.prefix)).find((k) => k.includes(':idempotency:')) as string,
      );
      expect(ttl).toBeGreaterThan(86_000);
      expect(ttl).toBeLessThanOrEqual(86_400);
    });

    it("a replay answers the job's current status, not always pending", async () => {
      const first = await submit(emailJob('low', 'replay@example.com'), 'order-status');
      expect(first.body.status).toBe('pending');
      const id = String(first.body.job_id);
      await redis.hset(`${open.prefix}:hash:${id}`, 'status', 'completed');
      const again = await submit(emailJob('low', 'replay@example.com'), 'order-status');
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ job_id: id, status: 'completed' });
      await redis.del(`${open.prefix}:hash:${id}`);
      const expired = await submit(emailJob('low', 'replay@example.com'), 'order-status');
      expect(expired.body).toEqual({ job_id: id, status: 'expired' });
    });

    it('the same key with a different body is 409 and writes nothing', async () => {
      expect((await submit(emailJob('low', 'one@example.com'), 'order-2')).status).toBe(201);
      const before = await keysUnder(redis, open.prefix);
      const other = await submit(emailJob('low', 'two@example.com'), 'order-2');
      expect(other.status).toBe(409);
      expect(other.body).toMatchObject({ statusCode: 409, code: 'JOB.IDEMPOTENCY_KEY_REUSED' });
      expect((await keysUnder(redis, open.prefix)).sort()).toEqual(before.sort());
    });

    it('keys are scoped to the API key', async () => {
      const a = await submit(emailJob(), 'shared-key', KEY_A);
      const b = await submit(emailJob(), 'shared-key', KEY_B);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.job_id).not.toBe(b.body.job_id);
    });

    it('concurrent requests with one key create exactly one job', async () => {
      const before = (await jobHashes(open.prefix)).length;
      const results = await Promise.all(
        Array.from({ length: 20 }, () => submit(emailJob('high', 'race@example.com'), 'race-1')),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array<number>(19).fill(200), 201]);
      expect(new Set(results.map((r) => r.body.job_id)).size).toBe(1);
      expect((await jobHashes(open.prefix)).length).toBe(before + 1);
    });

    it('works for bulk submissions', async () => {
      const body = {
        jobs: [emailJob('high', 'b1@example.com'), emailJob('low', 'b2@example.com')],
      };
      const first = await submit(body, 'bulk-1', KEY_A, '/submit-jobs');
      expect(first.status).toBe(201);
      const again = await submit(body, 'bulk-1', KEY_A, '/submit-jobs');
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(
        (await submit({ jobs: body.jobs.slice(0, 1) }, 'bulk-1', KEY_A, '/submit-jobs')).status,
      ).toBe(409);
    });

    it.each([
      ['too long', 'k'.repeat(256)],
      ['non-ASCII', 'clé'],
      ['a control character', 'a\tb'],
      ['only spaces', '   '],
    ])('rejects a key that is %s with 400 naming the header', async (_name, key) => {
      const before = await keysUnder(redis, open.prefix);
      const res = await submit(emailJob(), key);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
      expect((await keysUnder(redis, open.prefix)).sort()).toEqual(before.sort());
    });

    it('accepts a 255-character key', async () => {
      expect((await submit(emailJob(), 'k'.repeat(255))).status).toBe(201);
    });
  });
});
