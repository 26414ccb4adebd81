import fc from 'fast-check';
import Redis from 'ioredis';
import { startApi, TestApi } from './support/apps';
import {
  build,
  check,
  checkStoredJobs,
  createdIds,
  describeRequest,
  expectForJsonBody,
  FuzzCase,
  learnJobTypes,
  FuzzRequest,
  makeCases,
  MAX_REPORTED_ERRORS,
  send,
} from './support/fuzz-cases';
import { emailJob, request } from './support/http';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';

/**
 * Property-based tests over the real HTTP API (no worker, so nothing leaves the queue)
 * and a real Redis. Generators and oracles live in support/fuzz-cases.js, shared with
 * `npm run fuzz` (scripts/fuzz.js), which runs 20,000 of the same cases.
 *
 * Every response, whatever the request: never a 5xx; a 4xx is a JSON object whose
 * statusCode is the HTTP status, with string `error` and `message`, `errors` (if any)
 * a list of at most 100 {field, message} strings, each message naming its field, and
 * nothing of the server's insides (stack frames, paths, Redis errors) unless the
 * client sent that text itself. Which status and which fields: see the oracle in
 * support/fuzz-cases.js (strict UTF-8, body shape, DTO rules). A refused
 * request leaves the keys under the prefix and the queue lengths exactly as they were;
 * a 201 adds exactly the job hashes it reports, each on its priority's queue and
 * holding the payload sent, and readable back from GET /jobs/status/:id.
 *
 * Replay a failure: FUZZ_SEED=<seed> [FUZZ_PATH=<path>] npx jest test/fuzz.e2e-spec.ts
 * (fast-check prints both with the counterexample).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PATH = process.env.FUZZ_PATH;

function runs(numRuns: number): fc.Parameters<[FuzzCase]> {
  return {
    numRuns,
    ...(SEED === undefined ? {} : { seed: SEED }),
    ...(PATH ? { path: PATH } : {}),
  };
}

/** Long enough for fast-check to shrink a counterexample before Jest gives up. */
const PROPERTY_TIMEOUT_MS = 180_000;

interface Snapshot {
  keys: string[];
  high: number;
  low: number;
}

describe('fuzzing the HTTP API', () => {
  const prefix = uniquePrefix('fuzz');
  const cases = makeCases();
  let api: TestApi;
  let redis: Redis;
  let last: Snapshot;

  beforeAll(async () => {
    redis = connect();
    api = await startApi({ REDIS_URL: SHARED_REDIS_URL, QUEUE_PREFIX: prefix });
    expect(await learnJobTypes(api.baseUrl)).toContain('send_email');
    last = await snapshot();
  });

  afterAll(async () => {
    await api.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  async function snapshot(): Promise<Snapshot> {
    const [keys, high, low] = await Promise.all([
      keysUnder(redis, prefix),
      redis.llen(`${prefix}:queue:high`),
      redis.llen(`${prefix}:queue:low`),
    ]);
    return { keys: keys.sort(), high, low };
  }

  /** What a 201 must have done to Redis, and what GET /jobs/status must show for it. */
  async function verifyCreated(
    req: FuzzRequest,
    before: Snapshot,
    after: Snapshot,
    ids: string[],
  ): Promise<string[]> {
    const problems: string[] = [];
    if (ids.length !== req.expect.creates) {
      problems.push(`201 reported ${ids.length} ids, the request held ${req.expect.creates} jobs`);
    }
    const hashes = new Set(ids.map((id) => `${prefix}:hash:${id}`));
    const structural = new Set(
      ['queue:high', 'queue:low', 'wake', 'delayed', 'index:all', 'events'].map(
        (k) => `${prefix}:${k}`,
      ),
    );
    // The recipient index: one bucket list per address hash (src/queue/index-members.ts).
    const isRecipientBucket = (k: string) => k.startsWith(`${prefix}:index:to:`);
    const had = new Set(before.keys);
    const has = new Set(after.keys);
    const added = after.keys.filter((k) => !had.has(k));
    const removed = before.keys.filter((k) => !has.has(k));
    if (removed.length > 0) problems.push(`a 201 removed keys: ${removed.slice(0, 5).join(', ')}`);
    const missing = [...hashes].filter((k) => !has.has(k) || had.has(k));
    if (missing.length > 0) problems.push(`no new hash for ${missing.slice(0, 5).join(', ')}`);
    const records = added.filter((k) => k.startsWith(`${prefix}:idempotency:`));
    if (records.length !== (req.expect.idempotent ? 1 : 0)) {
      problems.push(`${records.length} new idempotency records`);
    }
    const stray = added.filter(
      (k) => !hashes.has(k) && !structural.has(k) && !isRecipientBucket(k) && !records.includes(k),
    );
    if (stray.length > 0) problems.push(`unexpected new keys: ${stray.slice(0, 5).join(', ')}`);
    const jobs = req.expect.jobs;
    const wantHigh = jobs ? jobs.filter((j) => j.priority === 'high').length : undefined;
    const queued = after.high - before.high + (after.low - before.low);
    if (queued !== ids.length) problems.push(`${queued} ids queued for ${ids.length} jobs`);
    if (wantHigh !== undefined && after.high - before.high !== wantHigh) {
      problems.push(`${after.high - before.high} high-priority ids queued, ${wantHigh} expected`);
    }
    problems.push(...(await checkStoredJobs(redis, prefix, ids, jobs)));
    // The first and the last job, through the API (a bulk request may hold 1,000).
    for (const i of [...new Set([0, ids.length - 1])]) {
      const id = ids[i];
      if (id === undefined) continue;
      const res = await request(`${api.baseUrl}/jobs/status/${id}`);
      const want = jobs?.[i];
      if (res.status !== 200 || res.body.job_id !== id || res.body.status !== 'pending') {
        problems.push(`GET /jobs/status/${id}: ${res.status} ${JSON.stringify(res.body)}`);
      } else if (want) {
        try {
          expect(res.body).toMatchObject({ priority: want.priority, job_type: 'send_email' });
          expect(res.body.payload).toStrictEqual(want.payload);
        } catch {
          problems.push(`GET /jobs/status/${id} shows ${JSON.stringify(res.body)}`);
        }
      }
      const queue = `${prefix}:queue:${String(want?.priority ?? res.body.priority)}`;
      if ((await redis.lpos(queue, id)) === null) problems.push(`${id} is not on ${queue}`);
    }
    return problems;
  }

  /** Sends one case and checks the response and Redis; throws with the details on failure. */
  async function exercise(c: FuzzCase): Promise<void> {
    const req = build(c);
    const before = last;
    const res = await send(api.baseUrl, req);
    const after = await snapshot();
    last = after;
    const problems = check(req, res);
    if (res.status === 201) {
      problems.push(...(await verifyCreated(req, before, after, createdIds(req, res))));
    } else if (JSON.stringify(after) !== JSON.stringify(before)) {
      const added = after.keys.filter((k) => !before.keys.includes(k));
      problems.push(
        `a ${res.status} changed Redis: +${added.length} keys (${added.slice(0, 3).join(', ')}), ` +
          `queues ${before.high}/${before.low} -> ${after.high}/${after.low}`,
      );
    }
    if (problems.length > 0) {
      throw new Error(
        `${describeRequest(req)}\n-> ${res.status} ${res.text.slice(0, 400)}\n` +
          problems.map((p) => `  - ${p}`).join('\n'),
      );
    }
  }

  const property = (arbitrary: fc.Arbitrary<FuzzCase>) => fc.asyncProperty(arbitrary, exercise);

  it(
    '(a) arbitrary JSON documents as the body of /submit-job and /submit-jobs',
    async () => {
      await fc.assert(property(cases.json), runs(100));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(b) one mutation of a valid job: wrong types, unicode, CR/LF, huge, deep, body shape, extra keys, raw bytes',
    async () => {
      await fc.assert(property(cases.mutation), runs(150));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(c) odd content types and bodies',
    async () => {
      await fc.assert(property(cases.contentType), runs(80));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '(d) odd job ids, paths and methods, sent byte for byte',
    async () => {
      await fc.assert(property(cases.path), runs(100));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('the oracle is not vacuous: it accepts a valid job and refuses a broken one', async () => {
    // Guards the properties above against an oracle that expects nothing.
    const valid = build({
      family: 'json',
      kind: 'near-valid',
      endpoint: 'single',
      value: emailJob(),
      encoding: 'plain',
    });
    expect(valid.expect).toMatchObject({ statuses: [201], creates: 1 });
    await exercise({
      family: 'json',
      kind: 'near-valid',
      endpoint: 'single',
      value: emailJob(),
      encoding: 'plain',
    });
    const broken = build({
      family: 'json',
      kind: 'near-valid',
      endpoint: 'bulk',
      value: { jobs: [emailJob(), { ...emailJob(), priority: 'urgent' }] },
      encoding: 'plain',
    });
    expect(broken.expect).toMatchObject({ statuses: [400], errorFields: ['jobs.1.priority'] });
    const res = await send(api.baseUrl, broken);
    expect(check(broken, res)).toEqual([]);
    // A 500 with a stack trace breaks every invariant it can.
    expect(
      check(broken, {
        status: 500,
        contentType: 'text/plain',
        text: 'Error: boom\n    at run (/work/main/node_modules/x/index.js:1:2)',
      }),
    ).toEqual(
      expect.arrayContaining([
        'server error: 500',
        'status 500, expected 400',
        'error body is not a JSON object',
        expect.stringContaining('node_modules'),
      ]),
    );
  });

  it('the oracle models the body-shape rules, strict UTF-8 and the address rule', () => {
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const job = (extraTop: string) =>
      Buffer.from(
        `{"job_type":"send_email","priority":"high","payload":{"to":"alice@example.com"}${extraTop}}`,
      );
    // The deepest container at depth 31 (x is at 1) passes the shape check; at 32 it does not.
    expect(expectForJsonBody('single', job(`,"x":${deep(31)}`))).toMatchObject({
      statuses: [400],
      errorFields: ['x'],
    });
    const tooDeep = expectForJsonBody('single', job(`,"x":${deep(32)}`));
    expect(tooDeep).toMatchObject({ statuses: [400], errorCount: 1 });
    expect(tooDeep.errorFieldsWithin).toEqual([`x${'.a'.repeat(31)}`]);
    // Several problems: any one of them may be the one reported, nothing else.
    const several = expectForJsonBody(
      'bulk',
      json({ jobs: [emailJob(), { ...emailJob(), toString: 1, list: Array(1001).fill(0) }] }),
    );
    expect(several).toMatchObject({ statuses: [400], errorCount: 1 });
    expect([...(several.errorFieldsWithin ?? [])].sort()).toEqual([
      'jobs.1.list',
      'jobs.1.toString',
    ]);
    const reply = (field: string) => ({
      status: 400,
      contentType: 'application/json; charset=utf-8',
      text: JSON.stringify({
        statusCode: 400,
        error: 'Bad Request',
        message: `${field} is wrong`,
        errors: [{ field, message: `${field} is wrong` }],
      }),
    });
    const req = build({
      family: 'json',
      kind: 'near-valid',
      endpoint: 'bulk',
      value: { jobs: [{ ...emailJob(), toString: 1, list: Array(1001).fill(0) }] },
      encoding: 'plain',
    });
    expect(check(req, reply('jobs.0.list'))).toEqual([]);
    expect(check(req, reply('jobs.0.payload'))).toEqual([
      expect.stringContaining('errors name "jobs.0.payload"'),
    ]);
    expect(check(req, { ...reply('jobs.0.list'), status: 201 })).toEqual(
      expect.arrayContaining(['201 for a request that must be refused']),
    );
    // Invalid UTF-8 is refused; the address rule is strict.
    const bytes = Buffer.from(JSON.stringify(emailJob('high', 'alice@example.com')));
    expect(expectForJsonBody('single', bytes)).toMatchObject({ statuses: [201] });
    const at = bytes.indexOf('Hello');
    expect(
      expectForJsonBody(
        'single',
        Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]),
      ),
    ).toEqual({ statuses: [400], creates: 0 });
    for (const to of ['alice@ex\u00e4mple.com', '"a"@example.com', '\ud800', 'a b@example.com']) {
      expect(expectForJsonBody('single', json(emailJob('high', to)))).toMatchObject({
        statuses: [400],
        errorFields: ['payload.to'],
      });
    }
  });

  /** Bugs found by fuzzing, each pinned by the input that showed it. */
  describe('bugs found by fuzzing, fixed', () => {
    const post = (path: string, body: string | Uint8Array) =>
      request(`${api.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });

    const validText = (extraTop: string, extraPayload: string) =>
      `{"job_type":"send_email","priority":"high"${extraTop},` +
      `"payload":{"to":"alice@example.com","subject":"Hi"${extraPayload}}}`;

    it.each([
      ['constructor', 'top'],
      ['constructor', 'payload'],
      ['prototype', 'top'],
      ['prototype', 'payload'],
      ['toString', 'top'],
      ['toString', 'payload'],
      ['hasOwnProperty', 'payload'],
      ['valueOf', 'top'],
    ])('an unknown key %p (%s level) is refused, not silently dropped', async (key, where) => {
      const extra = `,${JSON.stringify(key)}:1`;
      const before = await keysUnder(redis, prefix);
      const res = await post(
        '/submit-job',
        where === 'top' ? validText(extra, '') : validText('', extra),
      );
      last = await snapshot();
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        expect.objectContaining({ field: where === 'top' ? key : `payload.${key}` }),
      ]);
      expect(await keysUnder(redis, prefix)).toEqual(before);
    });

    it.each([
      ['arrays, in an unknown top-level field', `,"x":${'['.repeat(5000)}${']'.repeat(5000)}`, ''],
      [
        'objects, in an unknown payload field',
        '',
        `,"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      ],
    ])('a body nested 5,000 levels deep (%s) is a 400, not a 500', async (_name, top, payload) => {
      const res = await post('/submit-job', validText(top, payload));
      expect(res.status).toBe(400);
      // The one error names the container at MAX_BODY_DEPTH.
      expect(res.body.errors).toEqual([
        expect.objectContaining({
          field: expect.stringMatching(/^(x(\.0){31}|payload\.x(\.a){30})$/),
        }),
      ]);
    });

    it('30,000 empty jobs in one /submit-jobs (90 KB) are a 400, not a 500', async () => {
      const res = await post('/submit-jobs', `{"jobs":[${Array(30_000).fill('{}').join(',')}]}`);
      expect(res.status).toBe(400);
    });

    it.each([
      ['alone', '\ud800'],
      ['before the address', '\udfffbob@example.org'],
      ['in the domain', 'alice@exa\ud800mple.com'],
    ])('payload.to with a lone surrogate (%s) is a 400, not a 500', async (_name, to) => {
      for (const path of ['/submit-job', '/submit-jobs']) {
        const job = emailJob('high', to);
        const res = await post(
          path,
          JSON.stringify(path === '/submit-job' ? job : { jobs: [job] }),
        );
        expect(res.status).toBe(400);
      }
    });

    it.each([
      ['a quoted local part holding a space', '"a b"@example.com'],
      ['a quoted local part holding CR/LF', '"a\r\nBcc: victim@example.com"@example.com'],
      ['a line separator (U+2028) in the domain', 'alice@exa\u2028mple.com'],
      ['an ideographic space (U+3000) in the domain', 'alice@example\u3000.com'],
    ])('payload.to with %s is refused (README: no spaces)', async (_name, to) => {
      const res = await post('/submit-job', JSON.stringify(emailJob('high', to)));
      last = await snapshot();
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'payload.to' })]);
    });

    it.each([
      ['an internationalised domain', 'alice@ex\u00e4mple.com'],
      ['a quoted local part without spaces', '"alice"@example.com'],
      ['a no-break space', 'alice\u00a0@example.com'],
      [
        '255 characters',
        `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`,
      ],
    ])('payload.to with %s is refused', async (_name, to) => {
      const res = await post('/submit-job', JSON.stringify(emailJob('high', to)));
      last = await snapshot();
      expect(res.status).toBe(400);
      // One error per rule broken (255 characters: too long, and not an address isEmail takes).
      const errors = res.body.errors as { field: string }[];
      expect([...new Set(errors.map((e) => e.field))]).toEqual(['payload.to']);
    });

    it.each([
      ['the xn-- form of an internationalised domain', 'alice@xn--exmple-cua.com'],
      [
        '254 characters',
        `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`,
      ],
    ])('payload.to with %s is accepted', async (_name, to) => {
      await exercise({
        family: 'json',
        kind: 'near-valid',
        endpoint: 'single',
        value: emailJob('low', to),
        encoding: 'plain',
      });
    });

    it('invalid UTF-8 in a body is a 400, not silently replaced with U+FFFD', async () => {
      const before = await keysUnder(redis, prefix);
      for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const text = JSON.stringify(emailJob('high', 'alice@example.com', { subject: 'HERE' }));
        const [head, tail] = text.split('HERE');
        const res = await post(
          '/submit-job',
          Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]),
        );
        expect(res.status).toBe(400);
      }
      expect(await keysUnder(redis, prefix)).toEqual(before);
    });

    it.each([
      [
        'a reserved key deep in an unknown field',
        ',"x":{"a":[{"b":{"valueOf":1}}]}',
        'x.a.0.b.valueOf',
      ],
      [
        'an array of 1,001 items in an unknown field',
        `,"x":{"a":[${Array(1001).fill(0).join(',')}]}`,
        'x.a',
      ],
    ])('%s is refused, naming its path', async (_name, extra, field) => {
      const res = await post('/submit-job', validText(extra, ''));
      last = await snapshot();
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
    });

    it.each([
      // npm run fuzz, seed 226196742: the oracle predated the listing and stats routes.
      ['HEAD', '/jobs', false, 200],
      ['GET', '/jobs', false, 200],
      ['GET', '/jobs', true, 200],
      ['GET', '/stats', false, 200],
      ['GET', '/jobs?a=1', false, 400],
      ['POST', '/stats', true, 404],
    ])(
      'the read routes: %s %s (a body: %s) answers %d, judged as it should be',
      async (method, path, withBody, status) => {
        const req = build({ family: 'path', kind: 'route', method, path, withBody });
        const res = await send(api.baseUrl, req);
        last = await snapshot();
        expect(res.status).toBe(status);
        expect(check(req, res)).toEqual([]);
      },
    );

    it('1,000 empty jobs: 100 of their 3,000 field errors are listed, the rest counted', async () => {
      const res = await post('/submit-jobs', `{"jobs":[${Array(1000).fill('{}').join(',')}]}`);
      last = await snapshot();
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(MAX_REPORTED_ERRORS);
      expect(res.body.omitted_errors).toBe(3000 - MAX_REPORTED_ERRORS);
    });
  });
});
