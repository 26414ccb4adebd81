import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob, JsonResponse, request } from './support/http';
import {
  ambiguousPaths,
  documentedStatuses,
  lintDocument,
  OpenApiDocument,
  OperationKey,
  ResponseValidator,
} from './support/openapi';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { TestRedisServer } from './support/redis-server';
import { waitFor } from './support/wait';

/**
 * The OpenAPI document tells the truth: it passes `redocly lint` (recommended rules, no
 * warning), and every status it documents for every operation is produced here by a real
 * request whose real body is validated (Ajv) against the schema the document gives for
 * that status. An operation or status added to the document without a case here fails
 * the coverage test; a response the document does not describe fails its case.
 */

const API_KEY = 'openapi-test-key-0123456789';
const ADMIN_KEY = 'openapi-admin-key-0123456789';
/** A URL just over the 8 KiB limit once appended to any path. */
const LONG_QUERY = `?pad=${'a'.repeat(8 * 1024)}`;

/** Which API instance a request goes to. */
type Variant =
  | 'open' // no keys, no rate limit, the shared Redis
  | 'keyed' // API_KEYS and ADMIN_API_KEYS set
  | 'limited' // 1 write and 1 read per minute
  | 'down'; // its own redis-server, stopped

interface Call {
  method: 'GET' | 'POST';
  path: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

interface Context {
  send(variant: Variant, call: Call): Promise<JsonResponse<unknown>>;
  /** A new pending job on the open API. */
  submit(): Promise<string>;
  /** A failed job on the open API (its last_error set), made before the cases run. */
  failedJob: string;
  /** A worker on the open API's queue (one at a time); stopWorker closes it. */
  runWorker(env?: Record<string, string>): Promise<TestWorker>;
  stopWorker(): Promise<void>;
  /** An event stream of the open API: its status, headers and first message. */
  openStream(path: string): Promise<JsonResponse<unknown>>;
}

type Access = 'public' | 'keyed' | 'admin';

/**
 * Every operation of the API, who may call it, and one request that reaches its
 * handler (for the statuses every route of its kind answers: 401, 403, 413, 414, 415,
 * 429, 503). Kept by hand on purpose: the coverage test compares it with the document.
 */
/** `withoutStore`: answers without Redis, so never a 503. */
const OPERATIONS: Record<
  OperationKey,
  { access: Access; sample: () => Call; withoutStore?: boolean }
> = {
  'POST /submit-job': {
    access: 'keyed',
    sample: () => ({ method: 'POST', path: '/submit-job', json: emailJob() }),
  },
  'POST /submit-jobs': {
    access: 'keyed',
    sample: () => ({ method: 'POST', path: '/submit-jobs', json: { jobs: [emailJob()] } }),
  },
  'GET /jobs/status/{job_id}': {
    access: 'keyed',
    sample: () => ({ method: 'GET', path: `/jobs/status/${randomUUID()}` }),
  },
  'GET /jobs': { access: 'keyed', sample: () => ({ method: 'GET', path: '/jobs' }) },
  'GET /stats': { access: 'keyed', sample: () => ({ method: 'GET', path: '/stats' }) },
  'POST /jobs/retry-failed': {
    access: 'admin',
    sample: () => ({ method: 'POST', path: '/jobs/retry-failed', json: {} }),
  },
  'POST /jobs/purge': {
    access: 'admin',
    sample: () => ({ method: 'POST', path: '/jobs/purge', json: { status: 'completed' } }),
  },
  'GET /jobs/{job_id}': {
    access: 'keyed',
    sample: () => ({ method: 'GET', path: `/jobs/${randomUUID()}` }),
  },
  'POST /jobs/{job_id}/cancel': {
    access: 'admin',
    sample: () => ({ method: 'POST', path: `/jobs/${randomUUID()}/cancel` }),
  },
  'POST /jobs/{job_id}/retry': {
    access: 'admin',
    sample: () => ({ method: 'POST', path: `/jobs/${randomUUID()}/retry` }),
  },
  'GET /health': { access: 'public', sample: () => ({ method: 'GET', path: '/health' }) },
  'GET /health/live': {
    access: 'public',
    sample: () => ({ method: 'GET', path: '/health/live' }),
    withoutStore: true,
  },
  'GET /health/ready': {
    access: 'public',
    sample: () => ({ method: 'GET', path: '/health/ready' }),
  },
  'GET /events': { access: 'keyed', sample: () => ({ method: 'GET', path: '/events' }) },
  'GET /jobs/{job_id}/events': {
    access: 'keyed',
    sample: () => ({ method: 'GET', path: `/jobs/${randomUUID()}/events` }),
  },
};

type Answer = JsonResponse<unknown>;

interface Case {
  operation: OperationKey;
  status: number;
  what: string;
  /** One response, or several (each must have `status` and a conforming body). */
  run(ctx: Context): Promise<Answer | Answer[]>;
}

/** Statuses an operation documents that no request here produces, and why. None today. */
const EXEMPT: Record<string, string> = {};

const ops = Object.keys(OPERATIONS) as OperationKey[];
const sample = (operation: OperationKey) => OPERATIONS[operation].sample();

/** Sends `call` until the limited API answers 429 (its budgets are 1 a minute). */
async function untilLimited(ctx: Context, call: () => Call): Promise<Answer> {
  let res = await ctx.send('limited', call());
  for (let i = 0; i < 3 && res.status !== 429; i++) res = await ctx.send('limited', call());
  return res;
}

/** What every route of a kind answers, from the pipeline rather than the route. */
const PIPELINE_CASES: Case[] = ops.flatMap((operation): Case[] => {
  const { access } = OPERATIONS[operation];
  const withBody = operation.startsWith('POST ');
  const cases: Case[] = [
    {
      operation,
      status: 414,
      what: 'a URL over 8 KiB',
      run: (ctx) => {
        const call = sample(operation);
        return ctx.send('open', { ...call, path: call.path + LONG_QUERY });
      },
    },
  ];
  if (!OPERATIONS[operation].withoutStore) {
    cases.push({
      operation,
      status: 503,
      what: 'Redis down',
      run: (ctx) => ctx.send('down', sample(operation)),
    });
  }
  if (access !== 'public') {
    cases.push(
      {
        operation,
        status: 401,
        what: 'no API key',
        run: (ctx) => ctx.send('keyed', sample(operation)),
      },
      {
        operation,
        status: 429,
        what: 'over the rate limit',
        run: (ctx) => untilLimited(ctx, () => sample(operation)),
      },
    );
  }
  if (access === 'admin') {
    cases.push({
      operation,
      status: 403,
      what: 'a key that is not an admin key',
      run: (ctx) => ctx.send('keyed', { ...sample(operation), headers: { 'x-api-key': API_KEY } }),
    });
  }
  if (withBody) {
    cases.push(
      {
        operation,
        status: 413,
        what: 'a body over 1 MiB',
        run: (ctx) =>
          ctx.send('open', {
            ...sample(operation),
            json: undefined,
            body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
            headers: { 'content-type': 'application/json' },
          }),
      },
      {
        operation,
        status: 415,
        what: 'a text/plain body',
        run: (ctx) =>
          ctx.send('open', {
            ...sample(operation),
            json: undefined,
            body: 'hello',
            headers: { 'content-type': 'text/plain' },
          }),
      },
    );
  }
  return cases;
});

const post = (path: string, json?: unknown, headers?: Record<string, string>): Call => ({
  method: 'POST',
  path,
  json,
  headers,
});
const get = (path: string): Call => ({ method: 'GET', path });

/** Each route's own outcomes. */
const ROUTE_CASES: Case[] = [
  // First, while no other job is pending: the worker's one attempt is this job's.
  {
    operation: 'POST /jobs/{job_id}/cancel',
    status: 202,
    what: 'a processing job',
    run: async (ctx) => {
      const worker = await ctx.runWorker({ EMAIL_SIMULATED_DURATION_MS: '60000' });
      try {
        const attempt = once(worker.worker.events, 'attempt');
        const id = await ctx.submit();
        await attempt;
        const settled = once(worker.worker.events, 'settled');
        const res = await ctx.send('open', post(`/jobs/${id}/cancel`));
        await settled;
        return res;
      } finally {
        await ctx.stopWorker();
      }
    },
  },
  {
    operation: 'POST /submit-job',
    status: 201,
    what: 'a new job',
    run: (ctx) => ctx.send('open', post('/submit-job', emailJob())),
  },
  {
    operation: 'POST /submit-job',
    status: 200,
    what: 'a replay with the same Idempotency-Key',
    run: async (ctx) => {
      const call = post('/submit-job', emailJob(), { 'idempotency-key': randomUUID() });
      expect((await ctx.send('open', call)).status).toBe(201);
      return ctx.send('open', call);
    },
  },
  {
    operation: 'POST /submit-job',
    status: 400,
    what: 'invalid fields, envelope and payload',
    run: (ctx) =>
      ctx.send(
        'open',
        post('/submit-job', { ...emailJob(), priority: 'urgent', payload: { to: 'nope' } }),
      ),
  },
  {
    operation: 'POST /submit-job',
    status: 409,
    what: 'an Idempotency-Key reused with another body',
    run: async (ctx) => {
      const key = { 'idempotency-key': randomUUID() };
      expect((await ctx.send('open', post('/submit-job', emailJob(), key))).status).toBe(201);
      return ctx.send('open', post('/submit-job', emailJob('low'), key));
    },
  },
  {
    operation: 'POST /submit-jobs',
    status: 201,
    what: 'new jobs',
    run: (ctx) => ctx.send('open', post('/submit-jobs', { jobs: [emailJob(), emailJob('low')] })),
  },
  {
    operation: 'POST /submit-jobs',
    status: 200,
    what: 'a replay with the same Idempotency-Key',
    run: async (ctx) => {
      const call = post(
        '/submit-jobs',
        { jobs: [emailJob()] },
        { 'idempotency-key': randomUUID() },
      );
      expect((await ctx.send('open', call)).status).toBe(201);
      return ctx.send('open', call);
    },
  },
  {
    operation: 'POST /submit-jobs',
    status: 400,
    what: 'an invalid job among valid ones; malformed JSON; an empty body; not an object',
    run: (ctx) => {
      const raw = (body: string) =>
        ctx.send('open', {
          method: 'POST',
          path: '/submit-jobs',
          body,
          headers: { 'content-type': 'application/json' },
        });
      return Promise.all([
        ctx.send(
          'open',
          post('/submit-jobs', { jobs: [emailJob(), { ...emailJob(), priority: 'x' }] }),
        ),
        raw('{"jobs": ['),
        raw(''),
        raw('[1, 2]'),
      ]);
    },
  },
  {
    operation: 'POST /submit-jobs',
    status: 409,
    what: 'an Idempotency-Key reused with another body',
    run: async (ctx) => {
      const key = { 'idempotency-key': randomUUID() };
      const first = await ctx.send('open', post('/submit-jobs', { jobs: [emailJob()] }, key));
      expect(first.status).toBe(201);
      return ctx.send('open', post('/submit-jobs', { jobs: [emailJob('low')] }, key));
    },
  },
  {
    operation: 'GET /jobs/status/{job_id}',
    status: 200,
    what: 'a failed job (last_error set)',
    run: (ctx) => ctx.send('open', get(`/jobs/status/${ctx.failedJob}`)),
  },
  {
    operation: 'GET /jobs/status/{job_id}',
    status: 400,
    what: 'an id that is not a UUID',
    run: (ctx) => ctx.send('open', get('/jobs/status/not-a-uuid')),
  },
  {
    operation: 'GET /jobs/status/{job_id}',
    status: 404,
    what: 'an unknown id',
    run: (ctx) => ctx.send('open', get(`/jobs/status/${randomUUID()}`)),
  },
  {
    operation: 'GET /jobs',
    status: 200,
    what: 'a page of jobs with a next_cursor',
    run: async (ctx) => {
      const res = await ctx.send('open', get('/jobs?limit=1'));
      expect((res.body as { next_cursor: unknown }).next_cursor).toEqual(expect.any(String));
      return res;
    },
  },
  {
    operation: 'GET /jobs',
    status: 400,
    what: 'a bad value and an unknown parameter',
    run: (ctx) => ctx.send('open', get('/jobs?status=nope&color=red')),
  },
  {
    operation: 'GET /stats',
    status: 200,
    what: 'with a live worker',
    run: async (ctx) => {
      await ctx.runWorker();
      try {
        return await waitFor(
          async () => {
            const res = await ctx.send('open', get('/stats'));
            return (res.body as { workers: unknown[] }).workers.length > 0 && res;
          },
          { what: 'a worker in /stats' },
        );
      } finally {
        await ctx.stopWorker();
      }
    },
  },
  {
    operation: 'POST /jobs/retry-failed',
    status: 200,
    what: 'with filters',
    run: (ctx) => ctx.send('open', post('/jobs/retry-failed', { job_type: 'send_email', max: 10 })),
  },
  {
    operation: 'POST /jobs/retry-failed',
    status: 400,
    what: 'max out of range',
    run: (ctx) => ctx.send('open', post('/jobs/retry-failed', { max: 0 })),
  },
  {
    operation: 'POST /jobs/purge',
    status: 200,
    what: 'finished jobs of one state',
    run: (ctx) => ctx.send('open', post('/jobs/purge', { status: 'cancelled', older_than_s: 0 })),
  },
  {
    operation: 'POST /jobs/purge',
    status: 400,
    what: 'a state that is not finished',
    run: (ctx) => ctx.send('open', post('/jobs/purge', { status: 'pending' })),
  },
  {
    operation: 'GET /jobs/{job_id}',
    status: 200,
    what: 'a known job',
    run: (ctx) => ctx.send('open', get(`/jobs/${ctx.failedJob.toUpperCase()}`)),
  },
  {
    operation: 'GET /jobs/{job_id}',
    status: 400,
    what: 'an id that is not a UUID',
    run: (ctx) => ctx.send('open', get(`/jobs/${'x'.repeat(100)}`)),
  },
  {
    operation: 'GET /jobs/{job_id}',
    status: 404,
    what: 'an unknown id',
    run: (ctx) => ctx.send('open', get(`/jobs/${randomUUID()}`)),
  },
  {
    operation: 'POST /jobs/{job_id}/cancel',
    status: 200,
    what: 'a pending job',
    run: async (ctx) => ctx.send('open', post(`/jobs/${await ctx.submit()}/cancel`)),
  },
  {
    operation: 'POST /jobs/{job_id}/cancel',
    status: 400,
    what: 'an id that is not a UUID',
    run: (ctx) => ctx.send('open', post('/jobs/nope/cancel')),
  },
  {
    operation: 'POST /jobs/{job_id}/cancel',
    status: 404,
    what: 'an unknown id',
    run: (ctx) => ctx.send('open', post(`/jobs/${randomUUID()}/cancel`)),
  },
  {
    operation: 'POST /jobs/{job_id}/cancel',
    status: 409,
    what: 'a job already cancelled',
    run: async (ctx) => {
      const id = await ctx.submit();
      expect((await ctx.send('open', post(`/jobs/${id}/cancel`))).status).toBe(200);
      return ctx.send('open', post(`/jobs/${id}/cancel`));
    },
  },
  {
    operation: 'POST /jobs/{job_id}/retry',
    status: 200,
    what: 'a cancelled job',
    run: async (ctx) => {
      const id = await ctx.submit();
      expect((await ctx.send('open', post(`/jobs/${id}/cancel`))).status).toBe(200);
      return ctx.send('open', post(`/jobs/${id}/retry`));
    },
  },
  {
    operation: 'POST /jobs/{job_id}/retry',
    status: 400,
    what: 'an id that is not a UUID',
    run: (ctx) => ctx.send('open', post('/jobs/12345/retry')),
  },
  {
    operation: 'POST /jobs/{job_id}/retry',
    status: 404,
    what: 'an unknown id',
    run: (ctx) => ctx.send('open', post(`/jobs/${randomUUID()}/retry`)),
  },
  {
    operation: 'POST /jobs/{job_id}/retry',
    status: 409,
    what: 'a pending job',
    run: async (ctx) => ctx.send('open', post(`/jobs/${await ctx.submit()}/retry`)),
  },
  {
    operation: 'GET /health',
    status: 200,
    what: 'Redis up',
    run: (ctx) => ctx.send('open', get('/health')),
  },
  {
    operation: 'GET /health/live',
    status: 200,
    what: 'the process serves',
    run: (ctx) => ctx.send('open', get('/health/live')),
  },
  {
    operation: 'GET /health/ready',
    status: 200,
    what: 'every check passes',
    run: (ctx) => ctx.send('open', get('/health/ready')),
  },
  {
    operation: 'GET /events',
    status: 200,
    what: 'the live stream',
    run: (ctx) => ctx.openStream('/events?priority=high'),
  },
  {
    operation: 'GET /events',
    status: 400,
    what: 'a bad filter; an unknown parameter; a bad Last-Event-ID',
    run: (ctx) =>
      Promise.all([
        ctx.send('open', get('/events?priority=urgent')),
        ctx.send('open', get('/events?colour=red')),
        ctx.send('open', { ...get('/events'), headers: { 'last-event-id': 'yesterday' } }),
      ]),
  },
  {
    operation: 'GET /jobs/{job_id}/events',
    status: 200,
    what: "a job's stream (snapshot first)",
    run: async (ctx) => ctx.openStream(`/jobs/${await ctx.submit()}/events`),
  },
  {
    operation: 'GET /jobs/{job_id}/events',
    status: 400,
    what: 'an id that is not a UUID',
    run: (ctx) => ctx.send('open', get('/jobs/12345/events')),
  },
  {
    operation: 'GET /jobs/{job_id}/events',
    status: 404,
    what: 'an unknown id',
    run: (ctx) => ctx.send('open', get(`/jobs/${randomUUID()}/events`)),
  },
];

const CASES = [...ROUTE_CASES, ...PIPELINE_CASES];

describe('OpenAPI document', () => {
  const prefixes = {
    open: uniquePrefix('openapi'),
    keyed: uniquePrefix('openapi-keyed'),
    limited: uniquePrefix('openapi-limited'),
  };
  const apis: Partial<Record<Variant, TestApi>> = {};
  let downRedis: TestRedisServer | undefined;
  let redisStopped = false;
  let redis: Redis;
  let worker: TestWorker | undefined;
  let document: OpenApiDocument;
  let validator: ResponseValidator;

  const context: Context = {
    send: (variant, call) => {
      const api = apis[variant];
      if (!api) throw new Error(`no ${variant} API`);
      return request<unknown>(`${api.baseUrl}${call.path}`, {
        method: call.method,
        json: call.json,
        body: call.body,
        headers: call.headers,
        signal: AbortSignal.timeout(10_000),
      });
    },
    submit: async () => {
      const res = await context.send('open', post('/submit-job', emailJob('low')));
      if (res.status !== 201) throw new Error(`submit answered ${res.status}`);
      return (res.body as { job_id: string }).job_id;
    },
    failedJob: '',
    openStream: async (path) => {
      // An event stream does not end: read its first message, then hang up.
      const controller = new AbortController();
      const res = await fetch(`${apis.open!.baseUrl}${path}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      const { value } = (await reader.read()) as { value?: Uint8Array };
      controller.abort();
      return { status: res.status, headers: res.headers, body: new TextDecoder().decode(value) };
    },
    runWorker: async (env = {}) => {
      await stopWorker();
      worker = await startWorker({
        REDIS_URL: SHARED_REDIS_URL,
        QUEUE_PREFIX: prefixes.open,
        ...env,
      });
      return worker;
    },
    stopWorker,
  };

  async function stopWorker(): Promise<void> {
    await worker?.close();
    worker = undefined;
  }

  beforeAll(async () => {
    redis = connect();
    downRedis = await TestRedisServer.start();
    apis.down = await startApi({ REDIS_URL: downRedis.url, QUEUE_PREFIX: 'openapi-down' });
    apis.open = await startApi({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefixes.open });
    apis.keyed = await startApi({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefixes.keyed,
      API_KEYS: API_KEY,
      ADMIN_API_KEYS: ADMIN_KEY,
    });
    apis.limited = await startApi({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefixes.limited,
      RATE_LIMIT_PER_MINUTE: '1',
      RATE_LIMIT_READS_PER_MINUTE: '1',
    });
    await downRedis.stop();
    redisStopped = true;

    const res = await request<OpenApiDocument>(`${apis.open.baseUrl}/docs-json`);
    document = res.body;
    validator = new ResponseValidator(document);

    // A failed job, for the reads: its last_error is set.
    const failing = await context.runWorker({
      EMAIL_SIMULATED_FAILURE_RATE: '1',
      JOB_MAX_RETRIES: '0',
    });
    const failed = once(failing.worker.events, 'settled');
    context.failedJob = await context.submit();
    await failed;
    await stopWorker();
  });

  afterAll(async () => {
    await stopWorker();
    // Redis back first, so the API that lost it closes cleanly.
    if (redisStopped) await downRedis?.start();
    for (const api of Object.values(apis)) await api.close();
    for (const prefix of Object.values(prefixes)) await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  afterAll(async () => {
    await downRedis?.destroy();
  });

  it('passes redocly lint with the recommended rules: no error, no warning', async () => {
    const result = await lintDocument(document);
    expect(result.problems).toEqual([]);
    expect({ exitCode: result.exitCode, ...result.totals }).toEqual({
      exitCode: 0,
      errors: 0,
      warnings: 0,
      // The overlaps .redocly.lint-ignore.yaml lists (and explains), and nothing else.
      ignored: 3,
    });
  });

  it('has no two paths that one request could match (per method)', () => {
    // The one overlap within a method is part of the contract: a job id is a UUID, so
    // never "status", and the router prefers the static segment (see .redocly.lint-ignore.yaml).
    expect(ambiguousPaths(document)).toEqual([
      'GET /jobs/status/{job_id} and /jobs/{job_id}/events',
    ]);
  });

  it('declares security on every operation, [] only on public ones', () => {
    for (const operation of ops) {
      const [method, path] = operation.split(' ');
      const security = (document.paths[path][method.toLowerCase()] as { security?: unknown })
        .security;
      expect({ operation, security }).toEqual({
        operation,
        security:
          OPERATIONS[operation].access === 'public' ? [] : [{ bearer: [] }, { 'api-key': [] }],
      });
    }
  });

  it('has every documented status of every operation exercised below', () => {
    const exercised = CASES.map((c) => `${c.operation} ${c.status}`);
    expect(new Set(exercised).size).toBe(exercised.length);
    const documented = documentedStatuses(document).filter((s) => !(s in EXEMPT));
    expect(documented).toEqual([...exercised].sort());
  });

  it.each(CASES.map((c): [string, Case] => [`${c.operation} ${c.status}: ${c.what}`, c]))(
    '%s',
    async (_name, testCase) => {
      const answers = [await testCase.run(context)].flat();
      for (const res of answers) {
        expect({ status: res.status, body: res.body }).toEqual({
          status: testCase.status,
          body: expect.anything(),
        });
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
          // A Server-Sent Events stream, as documented: its first message came.
          expect(validator.mediaTypesOf(testCase.operation, testCase.status)).toEqual([
            'text/event-stream',
          ]);
          expect(res.body).toMatch(/^(: connected\n\n|event: snapshot\ndata: \{)/);
          continue;
        }
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        if (testCase.status >= 400 && !testCase.operation.startsWith('GET /health')) {
          expect((res.body as { statusCode?: unknown }).statusCode).toBe(testCase.status);
        }
        expect(validator.validate(testCase.operation, testCase.status, res.body)).toEqual([]);
        const missing = validator
          .headersOf(testCase.operation, testCase.status)
          .filter((name) => !res.headers.has(name));
        expect({ missingHeaders: missing }).toEqual({ missingHeaders: [] });
      }
    },
  );
});
