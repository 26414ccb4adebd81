import Redis from 'ioredis';
import { TestApi, startApi, startWorker, TestWorker } from './support/apps';
import { emailJob, request } from './support/http';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

/**
 * The HTTP API end to end, over real HTTP, with a real Redis and (where jobs must
 * run) a real worker.
 */
describe('HTTP API', () => {
  const prefix = uniquePrefix('api');
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

  const submit = (body: unknown, headers: Record<string, string> = {}) =>
    request(`${api.baseUrl}/submit-job`, { method: 'POST', json: body, headers });

  it('accepts a job: 201 with a UUID v4 and status pending, stored as the seed lays it out', async () => {
    const res = await submit(emailJob('high'));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      job_id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      status: 'pending',
    });
    const id = res.body.job_id as string;
    const hash = await redis.hgetall(`${prefix}:hash:${id}`);
    expect(hash).toMatchObject({
      job_id: id,
      job_type: 'send_email',
      priority: 'high',
      status: 'pending',
      retry_count: '0',
      picked_ts: '',
      completed_ts: '',
      available_after: '',
    });
    expect(JSON.parse(hash.payload)).toEqual(emailJob().payload);
    expect(await redis.lrange(`${prefix}:queue:high`, 0, -1)).toContain(id);
  });

  it('shows a job with every field, timestamps as epoch seconds', async () => {
    const { body } = await submit(emailJob('low'));
    const res = await request(`${api.baseUrl}/jobs/status/${String(body.job_id)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      job_id: body.job_id,
      job_type: 'send_email',
      priority: 'low',
      payload: emailJob().payload,
      status: 'pending',
      retry_count: 0,
      stall_count: 0,
      created_ts: expect.any(Number),
      picked_ts: null,
      completed_ts: null,
      available_after: null,
    });
    const created = res.body.created_ts as number;
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(60);
    expect(Math.round(created * 1000) / 1000).toBe(created);
  });

  it('404 for an unknown id, 400 naming job_id for a malformed one', async () => {
    const unknown = await request(
      `${api.baseUrl}/jobs/status/0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    for (const id of [
      'abc',
      '0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e',
      '%00',
      "1'%20OR%20'1'='1",
      'é',
      '..%2F..%2Fetc',
    ]) {
      const res = await request(`${api.baseUrl}/jobs/status/${id}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'job_id must be a UUID',
        code: 'REQUEST.INVALID_FIELDS',
        errors: [{ field: 'job_id', message: 'job_id must be a UUID' }],
      });
    }
  });

  it('a job id of any length up to the URL limit is a 400; a longer URL is a 414', async () => {
    for (const length of [37, 101, 500, 8000]) {
      const res = await request(`${api.baseUrl}/jobs/status/${'x'.repeat(length)}`);
      expect({ length, status: res.status }).toEqual({ length, status: 400 });
      expect(res.body).toMatchObject({ errors: [{ field: 'job_id' }] });
    }
    const path = '/jobs/status/';
    const atLimit = await request(`${api.baseUrl}${path}${'x'.repeat(8192 - path.length)}`);
    expect(atLimit.status).toBe(400);
    const long = await request(`${api.baseUrl}${path}${'x'.repeat(8193 - path.length)}`);
    expect(long.status).toBe(414);
    expect(long.body).toEqual({
      statusCode: 414,
      error: 'URI Too Long',
      message: 'The URL is longer than 8192 bytes',
      code: 'REQUEST.URI_TOO_LONG',
    });
  });

  it('a request line and headers over 16 KiB: 431 in the same error shape', async () => {
    const res = await request(`${api.baseUrl}/health`, {
      headers: { 'x-pad': 'p'.repeat(17_000) },
    });
    expect(res.status).toBe(431);
    expect(res.body).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      message: 'The request line and headers exceed 16 KiB',
      code: 'REQUEST.HEADERS_TOO_LARGE',
    });
  });

  it('an upper-case job id finds the same job as its lower-case form', async () => {
    const { body } = await submit(emailJob('low'));
    const id = String(body.job_id);
    const upper = await request(`${api.baseUrl}/jobs/status/${id.toUpperCase()}`);
    expect(upper.status).toBe(200);
    expect(upper.body.job_id).toBe(id);
  });

  it('a bad percent-encoding in the URL: 400 in the error shape, the URL not echoed', async () => {
    const res = await request(`${api.baseUrl}/jobs/status/%E0%A4%A-secret`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      code: 'REQUEST.INVALID_URL',
    });
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });

  it('an unknown route: 404 in the error shape, the path not echoed', async () => {
    const res = await request(`${api.baseUrl}/no-such-route-secret`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No route matches this method and path',
      code: 'ROUTE.NOT_FOUND',
    });
  });

  describe('rejects bad input with a 4xx naming the field, and writes nothing', () => {
    const bad: [string, unknown, string][] = [
      ['unknown job_type', { ...emailJob(), job_type: 'send_fax' }, 'job_type'],
      ['job_type not a string', { ...emailJob(), job_type: 7 }, 'job_type'],
      ['missing job_type', { priority: 'high', payload: { to: 'a@example.com' } }, 'job_type'],
      ['unknown priority', { ...emailJob(), priority: 'urgent' }, 'priority'],
      ['priority in capitals', { ...emailJob(), priority: 'HIGH' }, 'priority'],
      [
        'missing priority',
        { job_type: 'send_email', payload: { to: 'a@example.com' } },
        'priority',
      ],
      ['missing payload', { job_type: 'send_email', priority: 'low' }, 'payload'],
      ['payload an array', { ...emailJob(), payload: [] }, 'payload'],
      ['payload a string', { ...emailJob(), payload: 'a@example.com' }, 'payload'],
      ['missing to', { ...emailJob(), payload: { subject: 'x' } }, 'payload.to'],
      ['bad e-mail', emailJob('high', 'not-an-email'), 'payload.to'],
      ['to a number', { ...emailJob(), payload: { to: 42 } }, 'payload.to'],
      [
        'subject with CRLF',
        emailJob('high', 'a@example.com', { subject: 'Hi\r\nBcc: victim@example.com' }),
        'payload.subject',
      ],
      [
        'subject with LF',
        emailJob('high', 'a@example.com', { subject: 'Hi\nX: y' }),
        'payload.subject',
      ],
      [
        'subject too long',
        emailJob('high', 'a@example.com', { subject: 's'.repeat(256) }),
        'payload.subject',
      ],
      [
        'body too long',
        emailJob('high', 'a@example.com', { body: 'b'.repeat(100_001) }),
        'payload.body',
      ],
      [
        'body not a string',
        emailJob('high', 'a@example.com', { body: { html: '<b>' } }),
        'payload.body',
      ],
      ['unknown field', { ...emailJob(), extra: true }, 'extra'],
      [
        'unknown payload field',
        emailJob('high', 'a@example.com', { cc: 'b@example.com' }),
        'payload.cc',
      ],
      ['body a JSON array', [emailJob()], 'body'],
      ['body JSON null', null, 'body'],
      ['body a JSON string', 'hello', 'body'],
    ];

    it.each(bad)('%s', async (_name, body, field) => {
      const before = await keysUnder(redis, prefix);
      const res = await submit(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      expect(String(res.body.message)).toContain(
        field === 'body' ? 'body' : field.split('.').pop(),
      );
      expect(await keysUnder(redis, prefix)).toEqual(before);
    });

    it('a body that is not JSON: 400 with errors, the body not echoed', async () => {
      const res = await request(`${api.baseUrl}/submit-job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"job_type": "secret-text",',
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'body is not valid JSON',
        code: 'REQUEST.INVALID_JSON',
        errors: [{ field: 'body', message: 'body is not valid JSON' }],
      });
    });

    it('an empty body: 400 with errors', async () => {
      const res = await request(`${api.baseUrl}/submit-job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '',
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        code: 'REQUEST.EMPTY_BODY',
        errors: [{ field: 'body' }],
      });
    });

    it('a forbidden __proto__ key: 400 with errors', async () => {
      const res = await request(`${api.baseUrl}/submit-job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"__proto__": {"x": 1}}',
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'REQUEST.INVALID_JSON', errors: [{ field: 'body' }] });
    });

    it('invalid UTF-8: 400 with errors', async () => {
      const res = await request(`${api.baseUrl}/submit-job`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from([0x7b, 0xff, 0x7d]),
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'REQUEST.INVALID_UTF8', errors: [{ field: 'body' }] });
    });

    it('a content type that is not JSON: 415 saying what to send', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await request(`${api.baseUrl}/submit-job`, {
          method: 'POST',
          headers: { 'content-type': type },
          body: 'job_type=send_email',
        });
        expect(res.status).toBe(415);
        expect(res.body).toEqual({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: 'Send the body as JSON with the header Content-Type: application/json',
          code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
        });
      }
    });

    it('a body over the size limit: 413', async () => {
      const res = await submit({ ...emailJob(), padding: 'x'.repeat(2 * 1024 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'Request body is larger than 1 MiB',
        code: 'REQUEST.BODY_TOO_LARGE',
      });
    });

    it('error bodies carry no stack trace or internals', async () => {
      const res = await submit({ ...emailJob(), priority: { $gt: '' } });
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+|node_modules|ioredis/);
    });
  });

  it('GET /health is 200 while Redis answers', async () => {
    const res = await request(`${api.baseUrl}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', redis: 'up' });
  });

  describe('docs', () => {
    it('serves the OpenAPI document with every endpoint and its error responses', async () => {
      const res = await request<{
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      }>(`${api.baseUrl}/docs-json`);
      expect(res.status).toBe(200);
      const { paths } = res.body;
      expect(Object.keys(paths['/submit-job'].post.responses).sort()).toEqual([
        '200',
        '201',
        '400',
        '401',
        '409',
        '413',
        '414',
        '415',
        '429',
        '503',
      ]);
      expect(Object.keys(paths['/submit-jobs'].post.responses).sort()).toEqual([
        '200',
        '201',
        '400',
        '401',
        '409',
        '413',
        '414',
        '415',
        '429',
        '503',
      ]);
      expect(Object.keys(paths['/jobs/status/{job_id}'].get.responses).sort()).toEqual([
        '200',
        '400',
        '401',
        '404',
        '414',
        '429',
        '503',
      ]);
      expect(Object.keys(paths['/health'].get.responses).sort()).toEqual(['200', '414', '503']);
      // Every documented response carries an example.
      for (const [path, methods] of Object.entries(paths)) {
        for (const [method, op] of Object.entries(methods)) {
          for (const [status, response] of Object.entries(op.responses)) {
            const content = (
              response as {
                content?: Record<
                  string,
                  { example?: unknown; schema?: { example?: unknown; $ref?: string } }
                >;
              }
            ).content;
            // JSON, or the event stream of the SSE routes.
            const media = content?.['application/json'] ?? content?.['text/event-stream'];
            expect({
              path,
              method,
              status,
              example: Boolean(media?.example ?? media?.schema?.example ?? media?.schema?.$ref),
            }).toEqual({ path, method, status, example: true });
          }
        }
      }
    });

    it('serves Swagger UI at /docs with local assets only', async () => {
      const res = await fetch(`${api.baseUrl}/docs`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('swagger-ui');
      const external = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
        .map((m) => m[1])
        .filter((u) => /^(https?:)?\/\//.test(u));
      expect(external).toEqual([]);
      const init = await fetch(`${api.baseUrl}/docs/swagger-ui-init.js`);
      expect(init.status).toBe(200);
    });

    it('serves ReDoc at /redoc with its bundle from this server', async () => {
      const page = await fetch(`${api.baseUrl}/redoc`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<redoc spec-url="/docs-json">');
      const external = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
        .map((m) => m[1])
        .filter((u) => /^(https?:)?\/\//.test(u));
      expect(external).toEqual([]);
      const bundle = await fetch(`${api.baseUrl}/redoc/redoc.standalone.js`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toContain('javascript');
      expect((await bundle.text()).length).toBeGreaterThan(100_000);
    });
  });

  describe('with a worker', () => {
    let worker: TestWorker | undefined;

    afterEach(async () => {
      await worker?.close();
      worker = undefined;
    });

    it('runs a job: pending -> processing -> completed', async () => {
      const { body } = await submit(emailJob('high'));
      const url = `${api.baseUrl}/jobs/status/${String(body.job_id)}`;
      expect((await request(url)).body.status).toBe('pending');
      worker = await startWorker({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefix,
        EMAIL_SIMULATED_DURATION_MS: '700',
      });
      const processing = await waitFor(
        async () => {
          const res = await request(url);
          return res.body.status === 'processing' && res.body;
        },
        { what: 'processing' },
      );
      expect(processing.picked_ts).toEqual(expect.any(Number));
      expect(processing.completed_ts).toBeNull();
      const done = await waitFor(
        async () => {
          const res = await request(url);
          return res.body.status === 'completed' && res.body;
        },
        { what: 'completed' },
      );
      expect(done.retry_count).toBe(0);
      expect(done.completed_ts as number).toBeGreaterThanOrEqual(done.picked_ts as number);
      expect(done.picked_ts as number).toBeGreaterThanOrEqual(done.created_ts as number);
    });

    it('a job that always fails ends failed with retry_count 3 and last_error', async () => {
      worker = await startWorker({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefix,
        EMAIL_SIMULATED_FAILURE_RATE: '1',
        JOB_BACKOFF_BASE_MS: '20',
      });
      const { body } = await submit(emailJob('low'));
      const url = `${api.baseUrl}/jobs/status/${String(body.job_id)}`;
      const failed = await waitFor(
        async () => {
          const res = await request(url);
          return res.body.status === 'failed' && res.body;
        },
        { what: 'failed' },
      );
      expect(failed).toMatchObject({ retry_count: 3, last_error: 'simulated send failure' });
      expect(failed.completed_ts).toEqual(expect.any(Number));
    });
  });
});
