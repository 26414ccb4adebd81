import Redis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { startApi, startWorker, testEnv, TestApi, TestWorker } from './support/apps';
import { request, waitForStatus } from './support/http';
import { spawnNode } from './support/node-process';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { freePort } from './support/redis-server';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * The `webhook` job type end to end: jobs submitted over HTTP, run by a real worker,
 * delivered with undici to a real node:http receiver that this file starts and
 * whose answers each test sets.
 */

const SECRET = `whsec_${Buffer.from('a test secret of thirty-two bytes').toString('base64')}`;

type Body = Record<string, unknown>;

function webhookJob(payload: Body, priority: 'high' | 'low' = 'high'): Body {
  return { job_type: 'webhook', priority, payload };
}

async function submit(api: TestApi, job: Body): Promise<string> {
  const res = await request(`${api.baseUrl}/submit-job`, { method: 'POST', json: job });
  expect(res).toMatchObject({ status: 201 });
  return res.body.job_id as string;
}

describe('webhook delivery (WEBHOOK_ALLOW_PRIVATE=true for the local receiver)', () => {
  const prefix = uniquePrefix('webhook');
  let receiver: WebhookReceiver;
  let redis: Redis;
  let api: TestApi;
  let worker: TestWorker;
  let path = 0;
  /** A path no other test uses. */
  const fresh = (name: string): string => `/${name}/${++path}`;

  beforeAll(async () => {
    redis = connect();
    receiver = await WebhookReceiver.start();
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    api = await startApi(env);
    worker = await startWorker({ ...env, JOB_BACKOFF_BASE_MS: '20', WORKER_CONCURRENCY: '10' });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('POSTs the body as JSON with the payload’s headers, signed so that a standardwebhooks receiver verifies it', async () => {
    const hook = fresh('orders');
    const body = { event: 'order.paid', order: { id: 1234, total: 42.5 }, tags: ['a', 'ü'] };
    const id = await submit(
      api,
      webhookJob({
        url: receiver.url(hook),
        headers: { Authorization: 'Bearer t0ken', 'X-Tenant': 'acme' },
        body,
      }),
    );
    const done = await waitForStatus(api.baseUrl, id, 'completed');
    expect(done).toMatchObject({ job_type: 'webhook', retry_count: 0 });
    expect(done.last_error).toBeUndefined();

    const [received] = receiver.to(hook);
    expect(received.method).toBe('POST');
    expect(received.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer t0ken',
      'x-tenant': 'acme',
      'user-agent': 'job-queue-webhook/1.0',
      'webhook-id': id,
      'webhook-timestamp': expect.stringMatching(/^\d{10}$/),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    expect(JSON.parse(received.body)).toEqual(body);
    // The receiver's side: the library checks the signature and the timestamp's freshness.
    const verified = new Webhook(SECRET).verify(received.body, {
      'webhook-id': received.headers['webhook-id'] as string,
      'webhook-timestamp': received.headers['webhook-timestamp'] as string,
      'webhook-signature': received.headers['webhook-signature'] as string,
    });
    expect(verified).toEqual(body);
    // A forged body fails the same check.
    expect(() =>
      new Webhook(SECRET).verify(received.body.replace('1234', '4321'), {
        'webhook-id': id,
        'webhook-timestamp': received.headers['webhook-timestamp'] as string,
        'webhook-signature': received.headers['webhook-signature'] as string,
      }),
    ).toThrow();
  });

  it('PUT without a body: an empty body, no Content-Type, still signed; User-Agent may be replaced', async () => {
    const hook = fresh('put');
    const id = await submit(
      api,
      webhookJob({ url: receiver.url(hook), method: 'PUT', headers: { 'User-Agent': 'acme/2' } }),
    );
    await waitForStatus(api.baseUrl, id, 'completed');
    const [received] = receiver.to(hook);
    expect(received.method).toBe('PUT');
    expect(received.body).toBe('');
    expect(received.headers['content-type']).toBeUndefined();
    expect(received.headers['content-length']).toBe('0');
    expect(received.headers['user-agent']).toBe('acme/2');
    const headers = received.headers as Record<string, string>;
    expect(() => new Webhook(SECRET).verify('', headers)).not.toThrow();
    expect(() => new Webhook(SECRET).verify('{}', headers)).toThrow();
  });

  it.each([
    [400, 'HTTP 400 Bad Request: missing field'],
    [401, 'HTTP 401 Unauthorized: missing field'],
    [404, 'HTTP 404 Not Found: missing field'],
    [422, 'HTTP 422 Unprocessable Entity: missing field'],
  ])('%i fails the job at once (permanent), quoting the response', async (status, lastError) => {
    const hook = fresh(`status-${status}`);
    receiver.on(hook, { status, body: 'missing\nfield' });
    const id = await submit(api, webhookJob({ url: receiver.url(hook), body: {} }));
    const failed = await waitForStatus(api.baseUrl, id, 'failed');
    expect(failed).toMatchObject({ retry_count: 0, last_error: lastError, available_after: null });
    expect(receiver.to(hook)).toHaveLength(1);
  });

  it('a redirect is not followed: the job fails at once', async () => {
    const hook = fresh('moved');
    const target = fresh('target');
    receiver.on(hook, { status: 301, headers: { location: receiver.url(target) } });
    const id = await submit(api, webhookJob({ url: receiver.url(hook), body: { a: 1 } }));
    const failed = await waitForStatus(api.baseUrl, id, 'failed');
    expect(failed.retry_count).toBe(0);
    expect(failed.last_error).toBe(
      `HTTP 301 Moved Permanently: redirects are not followed (Location: ${receiver.url(target)})`,
    );
    expect(receiver.to(target)).toEqual([]);
  });

  it.each([408, 429, 500, 502, 503, 504])(
    '%i is retried with the same webhook-id, then completes',
    async (status) => {
      const hook = fresh(`transient-${status}`);
      receiver.on(hook, { status, body: 'try later' }, { status: 204 });
      const id = await submit(api, webhookJob({ url: receiver.url(hook), body: { n: status } }));
      const done = await waitForStatus(api.baseUrl, id, 'completed');
      expect(done.retry_count).toBe(1);
      expect(done.last_error).toMatch(new RegExp(`^HTTP ${status} [A-Za-z ]+: try later$`));
      const attempts = receiver.to(hook);
      expect(attempts).toHaveLength(2);
      expect(attempts.map((a) => a.headers['webhook-id'])).toEqual([id, id]);
      // Each attempt is signed afresh, and verifies.
      for (const attempt of attempts) {
        expect(
          new Webhook(SECRET).verify(attempt.body, attempt.headers as Record<string, string>),
        ).toEqual({ n: status });
      }
    },
  );

  it('a 5xx on every attempt fails the job after JOB_MAX_RETRIES, same webhook-id throughout', async () => {
    const hook = fresh('down');
    receiver.on(hook, { status: 500, body: 'boom' });
    const id = await submit(api, webhookJob({ url: receiver.url(hook) }));
    const failed = await waitForStatus(api.baseUrl, id, 'failed');
    expect(failed).toMatchObject({
      retry_count: 3,
      last_error: 'HTTP 500 Internal Server Error: boom',
    });
    const attempts = receiver.to(hook);
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((a) => a.headers['webhook-id']))).toEqual(new Set([id]));
  });

  it('Retry-After in seconds, longer than the backoff, sets the wait before the retry', async () => {
    const hook = fresh('retry-after-seconds');
    receiver.on(hook, { status: 429, headers: { 'retry-after': '1' } }, { status: 200 });
    const id = await submit(api, webhookJob({ url: receiver.url(hook) }));
    const done = await waitForStatus(api.baseUrl, id, 'completed');
    expect(done.retry_count).toBe(1);
    expect(done.last_error).toBe('HTTP 429 Too Many Requests (Retry-After 1 s)');
    const [first, second] = receiver.to(hook);
    // The backoff alone would be 20 ms (JOB_BACKOFF_BASE_MS): the retry waited for Retry-After.
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    // Finished: no next attempt time any more.
    expect(done.available_after).toBeNull();
  });

  it('Retry-After as an HTTP date sets the wait too', async () => {
    const hook = fresh('retry-after-date');
    const date = new Date(Date.now() + 3000).toUTCString(); // whole seconds: 2 to 3 s away
    receiver.on(hook, { status: 503, headers: { 'retry-after': date } }, { status: 200 });
    const id = await submit(api, webhookJob({ url: receiver.url(hook) }));
    const done = await waitForStatus(api.baseUrl, id, 'completed');
    expect(done.last_error).toMatch(/^HTTP 503 Service Unavailable \(Retry-After [23] s\)$/);
    const [first, second] = receiver.to(hook);
    expect(second.at - first.at).toBeGreaterThanOrEqual(1500);
  });

  it('a receiver slower than timeout_ms is a transient timeout', async () => {
    const hook = fresh('slow');
    receiver.on(hook, 'hang', { status: 200 });
    const id = await submit(api, webhookJob({ url: receiver.url(hook), timeout_ms: 200 }));
    const done = await waitForStatus(api.baseUrl, id, 'completed');
    expect(done.retry_count).toBe(1);
    expect(done.last_error).toBe('webhook timed out after 200 ms without a complete response');
    expect(receiver.to(hook)).toHaveLength(2);
  });

  it('a refused connection is transient and says so', async () => {
    const closed = await freePort();
    const id = await submit(api, webhookJob({ url: `http://127.0.0.1:${closed}/hook` }));
    const failed = await waitForStatus(api.baseUrl, id, 'failed');
    expect(failed.retry_count).toBe(3);
    expect(failed.last_error).toBe(
      `webhook request failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${closed}`,
    );
  });

  it('other job features work unchanged: priority, idempotency, status', async () => {
    const hook = fresh('idempotent');
    const job = webhookJob({ url: receiver.url(hook), body: [1, 2, 3] }, 'low');
    const headers = { 'idempotency-key': `hook-${hook}` };
    const first = await request(`${api.baseUrl}/submit-job`, {
      method: 'POST',
      json: job,
      headers,
    });
    const again = await request(`${api.baseUrl}/submit-job`, {
      method: 'POST',
      json: job,
      headers,
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.job_id).toBe(first.body.job_id);
    const done = await waitForStatus(api.baseUrl, first.body.job_id as string, 'completed');
    expect(done).toMatchObject({
      job_type: 'webhook',
      priority: 'low',
      payload: { url: receiver.url(hook), body: [1, 2, 3] },
    });
    expect(receiver.to(hook)).toHaveLength(1);
  });

  describe('refused at submission (400, nothing written)', () => {
    async function refused(payload: Body, field: string, message: string): Promise<void> {
      const before = (await keysUnder(redis, prefix)).length;
      const res = await request(`${api.baseUrl}/submit-job`, {
        method: 'POST',
        json: webhookJob(payload),
      });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field, message }]);
      expect((await keysUnder(redis, prefix)).length).toBe(before);
    }

    it.each([
      [
        'Host',
        'payload.headers must not set Host (a hop-by-hop or framing header, or one the sender sets)',
      ],
      [
        'Connection',
        'payload.headers must not set Connection (a hop-by-hop or framing header, or one the sender sets)',
      ],
      [
        'Content-Length',
        'payload.headers must not set Content-Length (a hop-by-hop or framing header, or one the sender sets)',
      ],
      [
        'webhook-signature',
        'payload.headers must not set webhook-signature (a hop-by-hop or framing header, or one the sender sets)',
      ],
    ])('a %s header', async (name, message) => {
      await refused(
        { url: receiver.url('/x'), headers: { [name]: 'x' } },
        'payload.headers',
        message,
      );
    });

    it('a header value with CR/LF, and 21 headers', async () => {
      await refused(
        { url: receiver.url('/x'), headers: { 'X-A': 'ok\r\nX-Injected: 1' } },
        'payload.headers',
        'payload.headers has an invalid value for X-A (a string of printable ASCII and tabs, no line breaks, at most 8192 characters)',
      );
      const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v']));
      await refused(
        { url: receiver.url('/x'), headers: many },
        'payload.headers',
        'payload.headers must have at most 20 entries',
      );
    });

    it('a body over 256 KiB as JSON; exactly 256 KiB is accepted and delivered intact', async () => {
      const hook = fresh('big');
      const fits = 'x'.repeat(256 * 1024 - 2); // "xxx...": the quotes make 262144 bytes
      await refused(
        { url: receiver.url(hook), body: `${fits}x` },
        'payload.body',
        'payload.body must be at most 262144 bytes as JSON (got 262145)',
      );
      const id = await submit(api, webhookJob({ url: receiver.url(hook), body: fits }));
      await waitForStatus(api.baseUrl, id, 'completed');
      const [received] = receiver.to(hook);
      expect(Buffer.byteLength(received.body)).toBe(262_144);
      expect(JSON.parse(received.body)).toBe(fits);
    });

    it('a URL with credentials, another scheme, or over 2,048 characters', async () => {
      await refused(
        { url: `http://user:pw@127.0.0.1:${receiver.port}/` },
        'payload.url',
        'payload.url must not contain credentials (user:password@); send them in headers',
      );
      await refused(
        { url: 'ftp://example.com/' },
        'payload.url',
        'payload.url must be an http:// or https:// URL',
      );
      await refused(
        { url: `https://example.com/${'a'.repeat(2049)}` },
        'payload.url',
        'payload.url must be at most 2048 characters',
      );
    });

    it('timeout_ms outside 100..30000 and an unknown method', async () => {
      await refused(
        { url: receiver.url('/x'), timeout_ms: 30_001 },
        'payload.timeout_ms',
        'payload.timeout_ms must be an integer between 100 and 30000',
      );
      await refused(
        { url: receiver.url('/x'), method: 'GET' },
        'payload.method',
        'payload.method must be one of the following values: POST, PUT',
      );
    });
  });
});

describe('webhook address policy (WEBHOOK_ALLOW_PRIVATE=false, the default)', () => {
  const prefix = uniquePrefix('webhook-ssrf');
  let receiver: WebhookReceiver;
  let redis: Redis;
  let api: TestApi;
  let worker: TestWorker;

  beforeAll(async () => {
    redis = connect();
    receiver = await WebhookReceiver.start();
    const env = { REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix, WEBHOOK_SECRET: SECRET };
    api = await startApi(env);
    worker = await startWorker({ ...env, JOB_BACKOFF_BASE_MS: '20' });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await receiver?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it.each([
    ['127.0.0.1', '127.0.0.1 is not a public address (loopback)'],
    ['[::1]', '::1 is not a public address (loopback)'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1 is not a public address (loopback)'],
    ['0.0.0.0', '0.0.0.0 is not a public address (unspecified ("this network"))'],
  ])('refuses %s permanently, before connecting', async (host, why) => {
    const before = receiver.requests.length;
    const id = await submit(
      api,
      webhookJob({ url: `http://${host}:${receiver.port}/internal`, body: { a: 1 } }),
    );
    const failed = await waitForStatus(api.baseUrl, id, 'failed');
    expect(failed.retry_count).toBe(0);
    expect(failed.last_error).toBe(`webhook refused: ${why}; WEBHOOK_ALLOW_PRIVATE=true allows it`);
    expect(receiver.requests.length).toBe(before);
  });

  it('refuses a name that resolves to loopback (localhost), checked on the address connected to', async () => {
    const before = receiver.requests.length;
    const id = await submit(api, webhookJob({ url: receiver.url('/internal', 'localhost') }));
    const failed = await waitForStatus(api.baseUrl, id, 'failed');
    expect(failed.retry_count).toBe(0);
    expect(failed.last_error).toMatch(
      /^webhook refused: localhost \((127\.0\.0\.1|::1)\) is not a public address \(loopback\); WEBHOOK_ALLOW_PRIVATE=true allows it$/,
    );
    expect(receiver.requests.length).toBe(before);
  });
});

describe('webhook signing secret at start-up', () => {
  it('a worker process without WEBHOOK_SECRET warns that webhooks go unsigned, and sends them unsigned', async () => {
    const prefix = uniquePrefix('webhook-unsigned');
    const redis = connect();
    const receiver = await WebhookReceiver.start();
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    const worker = spawnNode('dist/worker.js', testEnv({ ...env, LOG_LEVEL: 'log' }));
    const api = await startApi(env);
    try {
      await worker.waitForOutput('started');
      await worker.waitForOutput('WEBHOOK_SECRET is not set');
      const warning = worker
        .output()
        .split('\n')
        .find((line) => line.includes('WEBHOOK_SECRET is not set: webhooks are sent unsigned'));
      expect(JSON.parse(warning ?? '{}')).toMatchObject({ level: 'warn', context: 'Webhook' });
      const id = await submit(api, webhookJob({ url: receiver.url('/unsigned'), body: { a: 1 } }));
      await waitForStatus(api.baseUrl, id, 'completed');
      const [received] = receiver.to('/unsigned');
      expect(received.headers['webhook-id']).toBe(id);
      expect(received.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(received.headers['webhook-signature']).toBeUndefined();
    } finally {
      await worker.kill();
      await api.close();
      await receiver.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('an API process without a worker does not warn (it sends no webhooks)', async () => {
    const port = await freePort();
    const api = spawnNode('dist/main.js', {
      ...testEnv({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: uniquePrefix('webhook-api') }),
      WORKER_ENABLED: 'false',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
    });
    try {
      await api.waitForOutput('API listening');
      expect(api.output()).not.toContain('WEBHOOK_SECRET');
    } finally {
      await api.kill();
    }
  });

  it('a malformed WEBHOOK_SECRET stops the process, naming the variable but not the value', async () => {
    const bad = 'whsec_c2hvcnQ='; // "short": 5 bytes
    const worker = spawnNode(
      'dist/worker.js',
      testEnv({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: uniquePrefix('x'),
        WEBHOOK_SECRET: bad,
      }),
    );
    const exit = await worker.exited;
    expect(exit.code).not.toBe(0);
    expect(worker.output()).toContain('WEBHOOK_SECRET must be whsec_');
    expect(worker.output()).not.toContain('c2hvcnQ');
  });
});
