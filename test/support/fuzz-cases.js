'use strict';
/**
 * Request generators and response oracles for fuzzing the HTTP API, shared by the
 * property tests (test/fuzz.e2e-spec.ts) and the long run (scripts/fuzz.js). Plain
 * CommonJS so that `node scripts/fuzz.js` needs no TypeScript; fuzz-cases.d.ts types it.
 *
 * A case is a small description (what fast-check prints for a counterexample); build()
 * turns it into the bytes to send and what the API must answer:
 *
 *   statuses      the statuses allowed, when the outcome is known
 *   creates       how many jobs a 201 creates (0: a 201 is itself a violation)
 *   jobs          priority and payload each created job must have stored
 *   fieldErrors   a 400 must carry `errors`: [{ field, message }, ...]
 *   errorFields   ... naming each of these fields (unless cut at MAX_REPORTED_ERRORS)
 *   errorFieldsWithin ... and no field outside these
 *   errorCount    ... exactly this many
 *   successAllowed a 2xx/3xx that creates nothing is fine (docs, health, GET /jobs, /stats)
 *   idempotent    sent with a first-use Idempotency-Key: a 201 also stores its record
 *
 * The expected outcome is derived from the bytes sent, as the server sees them: they
 * are decoded as UTF-8 (strictly: invalid UTF-8 is a 400), parsed as JSON, checked for
 * their shape (src/common/body-shape.ts: nesting depth, array lengths, reserved keys;
 * one error, for whichever problem the check meets first), and judged against the rules
 * in src/jobs/dto/*.ts and src/handlers/send-email/send-email-payload.dto.ts, envelope and
 * payload together (one message per invalid field). Job types other than send_email
 * (learnJobTypes reads them from the OpenAPI document) are judged on their envelope;
 * their payload may be accepted or refused, naming payload fields only. Every error
 * message must name its field, and at most MAX_REPORTED_ERRORS are reported.
 */
const fc = require('fast-check');
const net = require('node:net');
const { TextDecoder } = require('node:util');

const BODY_LIMIT_BYTES = 1024 * 1024; // src/bootstrap.ts
const BULK_MAX_JOBS = 1000; // src/jobs/dto/submit-jobs.dto.ts
const MAX_BODY_DEPTH = 32; // src/common/body-shape.ts
const MAX_ARRAY_ITEMS = 1000; // src/common/body-shape.ts
const MAX_REPORTED_ERRORS = 100; // src/common/error-body.ts
const URL_LIMIT_BYTES = 8192; // src/common/http-limits.ts
const LIMITS = { jobType: 64, to: 254, subject: 255, body: 100_000, html: 200_000 };
const PRIORITIES = ['high', 'low'];
const JOB_KEYS = ['job_type', 'priority', 'payload'];
const PAYLOAD_KEYS = ['to', 'subject', 'body', 'html', 'reply_to'];
const STRING_FIELDS = ['job_type', 'priority', 'payload.to', 'payload.subject', 'payload.body'];
const ALL_FIELDS = ['job_type', 'priority', 'payload', ...STRING_FIELDS.slice(2)];
const GOOD_TO = ['alice@example.com', 'bob.smith+tag@mail.example.org', 'x_y-z@sub.example.co.uk'];
/** 254 characters, the longest address accepted: 64-character local part, 63-character labels. */
const LONGEST_TO = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ANY_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENDPOINT_PATH = { single: '/submit-job', bulk: '/submit-jobs' };
const FAMILIES = ['json', 'mutation', 'content-type', 'path'];

/**
 * payload.to values the oracle judges beyond the always-checked rules (printable
 * ASCII, no double quote, at most 254 characters, an @): the rest of the rule is
 * validator.js isEmail with EMAIL_RULE (a TLD, no IP domain), which the oracle does
 * not reimplement. Any other address passing those rules may be accepted or refused,
 * but a refusal may name no field but payload.to.
 */
const VALID_TO = [
  ...GOOD_TO,
  LONGEST_TO,
  'a@b.co',
  "o'brien@example.com",
  'alice@xn--exmple-cua.com',
];
const INVALID_ASCII_TO = [
  'alice@localhost',
  'alice@[127.0.0.1]',
  'alice@127.0.0.1',
  'alice@@example.com',
  'alice@example..com',
  '.alice@example.com',
  'alice@example.c',
  '<alice@example.com>',
  `${'a'.repeat(65)}@example.com`,
];

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys the API refuses anywhere in a body (src/common/body-shape.ts). */
function isReservedKey(key) {
  return key === '__proto__' || key === 'prototype' || key in Object.prototype;
}

/** The length class-validator's MaxLength counts (validator.js isLength). */
function validatorLength(s) {
  const presentation = s.match(/[^\uFE0F\uFE0E][\uFE0F\uFE0E]/g) || [];
  const pairs = s.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g) || [];
  return s.length - presentation.length - pairs.length;
}

/** What Fastify's JSON parser (secure-json-parse, protoAction/constructorAction 'error') refuses. */
function parserRejects(value) {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node)) {
      if (hasOwn(node, '__proto__')) return true;
      const ctor = hasOwn(node, 'constructor') ? node.constructor : undefined;
      if (ctor !== null && typeof ctor === 'object' && hasOwn(ctor, 'prototype')) return true;
    }
    for (const key of Object.keys(node)) stack.push(node[key]);
  }
  return false;
}

/**
 * Every shape problem the API may report for a parsed body (src/common/body-shape.ts):
 * a container nested MAX_BODY_DEPTH or more levels deep, an array of more than
 * MAX_ARRAY_ITEMS, a reserved key. The API reports the first one its walk meets, so
 * any of these will do; nothing below a problem is ever looked at, so neither is it
 * here. Iterative, as bodies nest thousands of levels deep.
 */
function shapeProblems(body) {
  const fields = [];
  const stack = [{ value: body, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH || (Array.isArray(value) && value.length > MAX_ARRAY_ITEMS)) {
      fields.push(path || 'body');
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (!Array.isArray(value) && isReservedKey(key)) fields.push(child);
      else stack.push({ value: value[key], path: child, depth: depth + 1 });
    }
  }
  return fields;
}

// ---------------------------------------------------------------------------------
// The oracle: what the API must answer for a given JSON body.
// ---------------------------------------------------------------------------------

/** Stage 1: the ValidationPipe on SubmitJobDto (types, enum, unknown top-level keys). */
function stage1(job, prefix, acc) {
  for (const key of Object.keys(job)) {
    if (!JOB_KEYS.includes(key)) acc.fields.push(prefix + key);
  }
  const type = job.job_type;
  if (typeof type !== 'string' || type === '' || validatorLength(type) > LIMITS.jobType) {
    acc.fields.push(`${prefix}job_type`);
  }
  if (!PRIORITIES.includes(job.priority)) acc.fields.push(`${prefix}priority`);
  if (!isPlainObject(job.payload)) acc.fields.push(`${prefix}payload`);
}

/**
 * payload.to (src/handlers/send-email/send-email-payload.dto.ts): 'valid', 'invalid',
 * or 'unknown' when only validator.js isEmail could tell.
 */
function judgeTo(to) {
  if (typeof to !== 'string' || to.length > LIMITS.to) return 'invalid';
  // Printable ASCII only (no spaces, controls, IDN or lone surrogates), no quoted parts.
  if (!/^[\x21-\x7e]+$/.test(to) || to.includes('"') || !to.includes('@')) return 'invalid';
  if (VALID_TO.includes(to)) return 'valid';
  if (INVALID_ASCII_TO.includes(to)) return 'invalid';
  return 'unknown';
}

/** Job types the server has (learnJobTypes); only send_email's payload rules are modelled. */
let jobTypes = ['send_email'];

/** Reads the registered job types from the server's OpenAPI document (the submit body's oneOf). */
async function learnJobTypes(baseUrl) {
  const res = await fetch(`${baseUrl}/docs-json`);
  const doc = await res.json();
  const mapping = doc.components.schemas.SubmitJobDto.discriminator.mapping;
  jobTypes = Object.keys(mapping);
  return jobTypes;
}

/** Stage 2: the payload, by the DTO of the job_type's handler. */
function stage2(job, prefix, acc) {
  if (typeof job.job_type !== 'string') return;
  if (!jobTypes.includes(job.job_type)) {
    acc.fields.push(`${prefix}job_type`);
    return;
  }
  const payload = job.payload;
  if (!isPlainObject(payload)) return;
  if (job.job_type !== 'send_email') {
    // Not modelled here: created, or refused naming payload fields only.
    for (const key of Object.keys(payload)) acc.unknown.push(`${prefix}payload.${key}`);
    acc.unknown.push(
      `${prefix}payload`,
      ...['to', 'url', 'body', 'headers'].map((k) => `${prefix}payload.${k}`),
    );
    acc.unmodelled = true;
    return;
  }
  for (const key of Object.keys(payload)) {
    if (!PAYLOAD_KEYS.includes(key)) acc.fields.push(`${prefix}payload.${key}`);
  }
  const { to, subject, body } = payload;
  const toVerdict = judgeTo(to);
  if (toVerdict === 'invalid') acc.fields.push(`${prefix}payload.to`);
  else if (toVerdict === 'unknown') acc.unknown.push(`${prefix}payload.to`);
  if (subject !== undefined && subject !== null) {
    if (
      typeof subject !== 'string' ||
      /[\r\n]/.test(subject) ||
      validatorLength(subject) > LIMITS.subject
    ) {
      acc.fields.push(`${prefix}payload.subject`);
    }
  }
  if (body !== undefined && body !== null) {
    if (typeof body !== 'string' || validatorLength(body) > LIMITS.body) {
      acc.fields.push(`${prefix}payload.body`);
    }
  }
  const { html, reply_to: replyTo } = payload;
  if (html !== undefined && html !== null) {
    if (typeof html !== 'string' || validatorLength(html) > LIMITS.html) {
      acc.fields.push(`${prefix}payload.html`);
    }
  }
  if (replyTo !== undefined && replyTo !== null) {
    const verdict = judgeTo(replyTo); // the same address rule as `to`
    if (verdict === 'invalid') acc.fields.push(`${prefix}payload.reply_to`);
    else if (verdict === 'unknown') acc.unknown.push(`${prefix}payload.reply_to`);
  }
}

/** A 400 naming every one of `fields` (and, unless `within` is null, no field outside `within`). */
function refuse(fields, within = fields) {
  return {
    statuses: [400],
    creates: 0,
    fieldErrors: true,
    errorFields: fields,
    ...(within ? { errorFieldsWithin: within } : {}),
  };
}

function judgeJobs(jobs, prefix, topFields) {
  // Envelope and payload are judged together: one 400 names both.
  const acc = { fields: [...topFields], unknown: [], unmodelled: false };
  jobs.forEach((job, i) => {
    const at = prefix(i);
    if (!isPlainObject(job)) {
      acc.fields.push(at.slice(0, -1));
      return;
    }
    stage1(job, at, acc);
    stage2(job, at, acc);
  });
  const fields = [...new Set(acc.fields)];
  if (fields.length > 0) return refuse(fields, [...fields, ...acc.unknown]);
  const stored = jobs.map((job) => ({ priority: job.priority, payload: job.payload }));
  const created = { creates: jobs.length, jobs: stored };
  if (acc.unknown.length === 0) return { statuses: [201], ...created };
  // Some address only isEmail can judge, or a payload not modelled here: created, or
  // refused naming only such fields.
  return { ...refuse([], acc.unknown), statuses: [201, 400], ...created };
}

function judgeSingle(value) {
  return judgeJobs([value], () => '', []);
}

function judgeBulk(value) {
  const topFields = Object.keys(value).filter((key) => key !== 'jobs');
  const jobs = value.jobs;
  // An object is also validated as one job (jobs.job_type...): which fields, not judged.
  if (!Array.isArray(jobs)) return refuse([...topFields, 'jobs'], null);
  if (jobs.length === 0 || jobs.length > BULK_MAX_JOBS) topFields.push('jobs');
  return judgeJobs(jobs, (i) => `jobs.${i}.`, topFields);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** What a JSON POST of these bytes to /submit-job (single) or /submit-jobs (bulk) must get. */
function expectForJsonBody(endpoint, bytes) {
  if (bytes.length > BODY_LIMIT_BYTES) return { statuses: [413], creates: 0 };
  let text;
  try {
    // Decoded strictly (src/bootstrap.ts): invalid UTF-8 is a 400. A leading BOM is
    // dropped by the decoder, and one more by secure-json-parse.
    text = UTF8.decode(bytes);
  } catch {
    return { statuses: [400], creates: 0 };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { statuses: [400], creates: 0 };
  }
  if (parserRejects(value)) return { statuses: [400], creates: 0 };
  // src/common/validation.ts: the body must be an object, then its shape is checked
  // (one error, the first problem met), then the DTOs.
  if (!isPlainObject(value)) return refuse(['body']);
  const problems = shapeProblems(value);
  if (problems.length > 0) return { ...refuse([], problems), errorCount: 1 };
  return endpoint === 'bulk' ? judgeBulk(value) : judgeSingle(value);
}

// ---------------------------------------------------------------------------------
// Encoding JSON text.
// ---------------------------------------------------------------------------------

function escapeAll(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return `${out}"`;
}

/** JSON text with every character of every string (keys too) written as \uXXXX. */
function stringifyEscaped(value) {
  if (typeof value === 'string') return escapeAll(value);
  if (Array.isArray(value)) return `[${value.map((v) => stringifyEscaped(v ?? null)).join(',')}]`;
  if (isPlainObject(value)) {
    const parts = [];
    for (const key of Object.keys(value)) {
      if (value[key] === undefined) continue;
      parts.push(`${escapeAll(key)}:${stringifyEscaped(value[key])}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * plain: JSON.stringify (lone surrogates come out escaped, other characters raw UTF-8)
 * pretty: indented, with whitespace around the document
 * ascii: every non-ASCII UTF-16 unit escaped
 * escape-all: every character of every string escaped, keys included
 */
function encodeJson(value, encoding) {
  let text;
  if (encoding === 'escape-all') text = stringifyEscaped(value);
  else if (encoding === 'pretty') text = `\n\t ${JSON.stringify(value, null, 2) ?? 'null'}\r\n `;
  else text = JSON.stringify(value) ?? 'null';
  if (encoding === 'ascii') {
    text = text.replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  return Buffer.from(text, 'utf8');
}

// ---------------------------------------------------------------------------------
// Family (a): arbitrary JSON documents.
// ---------------------------------------------------------------------------------

const anyJson = fc.oneof(
  fc.jsonValue(),
  fc.jsonValue({ stringUnit: 'binary' }),
  fc.anything({ maxDepth: 3 }).map((v) => {
    try {
      return JSON.parse(JSON.stringify(v) ?? 'null');
    } catch {
      return null;
    }
  }),
);
const smallJson = fc.jsonValue({ maxDepth: 2 });

/** Keys the API refuses wherever they appear (the parser itself refuses `__proto__`). */
const RESERVED_KEYS = [
  ...Object.getOwnPropertyNames(Object.prototype).filter((k) => k !== '__proto__'),
  'prototype',
  '__proto__',
];

/** Some keys reserved, most not. */
const extraKey = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...RESERVED_KEYS) },
);

/** Extra keys for a job or a payload: none, mostly. */
const extraKeys = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.dictionary(extraKey, smallJson, { maxKeys: 2 }) },
);

/**
 * payload.to values the API must refuse however validator.js judges them: quoted local
 * parts, spaces (Unicode ones too), controls, non-ASCII (IDN) domains, lone surrogates,
 * more than 254 characters; and a few it must accept or refuse for isEmail's reasons.
 */
const TRICKY_TO = [
  '"a b"@example.com',
  '"a\r\nBcc: victim@example.com"@example.com',
  '"a\tb"@example.com',
  '"ab"@example.com',
  'alice@ex\u00e4mple.com',
  'alice@\u4f8b\u3048.jp',
  '\u00e5lice@example.com',
  'alice@exa\u2028mple.com',
  'alice@example\u3000.com',
  'alice\u00a0@example.com',
  'alice@example.com\u200b',
  '\ufeffalice@example.com',
  'alice @example.com',
  'alice@example.com\n',
  'alice@example.com\u0000',
  'Alice <alice@example.com>',
  '\ud800',
  '\udfffbob@example.org',
  'alice@exa\ud800mple.com',
  'alice@example.com\udc00',
  `${LONGEST_TO.slice(0, 100)}x${LONGEST_TO.slice(100)}`,
  ...VALID_TO,
  ...INVALID_ASCII_TO,
];

const nearValidPayload = fc
  .tuple(
    fc.record(
      {
        to: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...GOOD_TO) },
          { weight: 2, arbitrary: fc.constantFrom(...TRICKY_TO) },
          { weight: 1, arbitrary: fc.string() },
          { weight: 1, arbitrary: smallJson },
        ),
        subject: fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), smallJson),
        body: fc.oneof(fc.string({ maxLength: 300 }), smallJson),
      },
      { requiredKeys: ['to'] },
    ),
    extraKeys,
  )
  .map(([payload, extra]) => (extra ? { ...extra, ...payload } : payload));

const nearValidFields = {
  job_type: fc.oneof(
    { weight: 4, arbitrary: fc.constant('send_email') },
    { weight: 1, arbitrary: fc.constantFrom('', 'SEND_EMAIL', 'send_fax', 'send_email ') },
    { weight: 1, arbitrary: smallJson },
  ),
  priority: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...PRIORITIES) },
    { weight: 1, arbitrary: fc.constantFrom('HIGH', '') },
    { weight: 1, arbitrary: smallJson },
  ),
  payload: fc.oneof(
    { weight: 4, arbitrary: nearValidPayload },
    { weight: 1, arbitrary: smallJson },
  ),
};

/** Mostly well-shaped jobs with a few wrong parts: they reach the deeper validation. */
const nearValidJob = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.record(nearValidFields) },
      { weight: 1, arbitrary: fc.record(nearValidFields, { requiredKeys: [] }) },
    ),
    extraKeys,
  )
  .map(([job, extra]) => (extra ? { ...extra, ...job } : job));

const jsonCase = fc.oneof(
  fc.record({
    family: fc.constant('json'),
    kind: fc.constant('arbitrary'),
    endpoint: fc.constantFrom('single', 'bulk'),
    value: anyJson,
    encoding: fc.constantFrom('plain', 'pretty', 'ascii', 'escape-all'),
  }),
  fc.record({
    family: fc.constant('json'),
    kind: fc.constant('near-valid'),
    endpoint: fc.constant('single'),
    value: nearValidJob,
    encoding: fc.constantFrom('plain', 'ascii'),
  }),
  fc.record({
    family: fc.constant('json'),
    kind: fc.constant('near-valid'),
    endpoint: fc.constant('bulk'),
    value: fc.record(
      { jobs: fc.oneof(fc.array(fc.oneof(nearValidJob, smallJson), { maxLength: 4 }), smallJson) },
      { requiredKeys: [] },
    ),
    encoding: fc.constantFrom('plain', 'ascii'),
  }),
);

function buildJson(c) {
  const body = encodeJson(c.value, c.encoding);
  return postRequest(c, c.endpoint, 'application/json', body, expectForJsonBody(c.endpoint, body));
}

// ---------------------------------------------------------------------------------
// Family (b): one mutation of a valid job (alone, or one of several in a bulk request).
// ---------------------------------------------------------------------------------

const SPECIALS = [
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u00a0',
  '\u00e9',
  'e\u0301',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202e',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\ufffe',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\udfff\ud800',
  '\ud83d\ude00',
  '\u2764\ufe0f',
  '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67',
  '\u0645\u0631\u062d\u0628\u0627',
  '\u05e9\u05dc\u05d5\u05dd',
  '\u4f60\u597d',
  '\t',
  '\\',
  '"',
  "'",
  '<script>',
  '%00',
  '${x}',
];
const unicodeString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc
    .array(fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: 'binary', maxLength: 4 })), {
      minLength: 1,
      maxLength: 12,
    })
    .map((parts) => parts.join('')),
  fc
    .constantFrom(...GOOD_TO)
    .chain((to) =>
      fc
        .tuple(fc.constantFrom(...SPECIALS), fc.nat(to.length))
        .map(([s, at]) => to.slice(0, at) + s + to.slice(at)),
    ),
);

/** Byte sequences for the raw-bytes mutation: invalid UTF-8, CESU-8 surrogates, controls. */
const BYTE_SEQUENCES = [
  [0x00],
  [0x0a],
  [0x0d],
  [0x09],
  [0x1f],
  [0x22],
  [0x5c],
  [0x7f],
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc3],
  [0xc3, 0xa9],
  [0xe2, 0x80],
  [0xe2, 0x80, 0xae],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xef, 0xbb, 0xbf],
  [0xf0, 0x9f, 0x98, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0x41],
];
const rawBytes = fc
  .array(
    fc.oneof(
      fc.constantFrom(...BYTE_SEQUENCES),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
    ),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((parts) => parts.flat());

const wrongTypeValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(smallJson, { maxLength: 3 }),
  fc.dictionary(fc.string(), smallJson, { maxKeys: 3 }),
  fc.string({ maxLength: 20 }),
);

const LINE_BREAKS = ['\r\n', '\n', '\r', '\r\n\r\n', '\n.\r\n', '\r\nBcc: victim@example.com\r\n'];
const EXTRA_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
  'then',
  'length',
  '',
  ' ',
  'job_type ',
  'Priority',
  'payload.to',
  'cc',
  'bcc',
  'headers',
  'from',
];

/** The unicode mutation: any string in any string field, or a tricky address in payload.to. */
const unicodeMutation = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('unicode'),
      field: fc.constantFrom(...STRING_FIELDS),
      value: unicodeString,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('unicode'),
      field: fc.constant('payload.to'),
      value: fc.constantFrom(...TRICKY_TO),
    }),
  },
);

/** Nesting depths: around the limit (MAX_BODY_DEPTH), or anything up to maxDepth. */
function nestingDepth(maxDepth) {
  return fc.oneof(
    fc.integer({ min: MAX_BODY_DEPTH - 6, max: MAX_BODY_DEPTH + 2 }),
    fc.integer({ min: 1, max: maxDepth }),
  );
}

/** Where a spliced value goes: an extra key of the job or payload, or in place of a field. */
const SPLICE_PLACES = ['top-extra', 'payload-extra', 'payload', 'payload.subject', 'payload.to'];

/** One value breaking (or just inside) the body-shape rules, spliced into the body as text. */
function shapePart(maxDepth) {
  return fc.oneof(
    fc.record({
      problem: fc.constant('deep'),
      depth: nestingDepth(maxDepth),
      shape: fc.constantFrom('object', 'array', 'mixed'),
    }),
    fc.record({
      problem: fc.constant('long-array'),
      length: fc.constantFrom(MAX_ARRAY_ITEMS, MAX_ARRAY_ITEMS + 1, 5000, 100_000),
      depth: fc.nat(3),
    }),
    fc.record({
      problem: fc.constant('reserved-key'),
      key: fc.constantFrom(...RESERVED_KEYS),
      value: fc.constantFrom('1', 'null', '[]', '{}', '{"prototype":{}}', '{"toString":1}'),
      depth: fc.nat(3),
    }),
  );
}

function makeMutation(maxDepth) {
  return fc.oneof(
    fc
      .record({
        kind: fc.constant('wrong-type'),
        field: fc.constantFrom(...ALL_FIELDS),
        value: wrongTypeValue,
      })
      .filter((m) =>
        m.field === 'payload' ? !isPlainObject(m.value) : typeof m.value !== 'string',
      ),
    fc.record({ kind: fc.constant('missing'), field: fc.constantFrom(...ALL_FIELDS) }),
    unicodeMutation,
    fc.record({
      kind: fc.constant('crlf'),
      fields: fc.subarray(STRING_FIELDS, { minLength: 1 }),
      lineBreak: fc.constantFrom(...LINE_BREAKS),
      at: fc.nat(),
    }),
    fc.record({
      kind: fc.constant('huge'),
      field: fc.constantFrom(...STRING_FIELDS),
      // At most ~2 MB: the API closes the connection on a 413 without reading the body,
      // and with more in flight the reset can swallow the response.
      char: fc.constantFrom('x', '\u00e9', '\ud83d\ude00'),
      length: fc.constantFrom(65, 255, 256, 4096, 99_999, 100_000, 100_001, 300_000, 1_048_577),
    }),
    fc.record({
      kind: fc.constant('deep'),
      depth: nestingDepth(maxDepth),
      shape: fc.constantFrom('object', 'array', 'mixed'),
      where: fc.constantFrom(...SPLICE_PLACES),
    }),
    // Several shape problems at once: the API may report any one of them.
    fc.record({
      kind: fc.constant('shape'),
      parts: fc.array(
        fc.record({ part: shapePart(maxDepth), where: fc.constantFrom(...SPLICE_PLACES) }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    fc.record({
      kind: fc.constant('extra-key'),
      where: fc.constantFrom('top', 'payload'),
      key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ unit: 'binary', maxLength: 12 })),
      value: smallJson,
    }),
    fc.record({
      kind: fc.constant('raw-bytes'),
      field: fc.constantFrom(...STRING_FIELDS),
      bytes: rawBytes,
    }),
  );
}

function makeMutationCase(maxDepth) {
  const mutation = makeMutation(maxDepth);
  return fc.oneof(
    {
      weight: 30,
      arbitrary: fc.record({
        family: fc.constant('mutation'),
        kind: fc.constant('single'),
        endpoint: fc.constant('single'),
        jobs: fc.constant(1),
        index: fc.constant(0),
        priorities: fc.array(fc.constantFrom(...PRIORITIES), { minLength: 4, maxLength: 4 }),
        tos: fc.array(fc.constantFrom(...GOOD_TO), { minLength: 4, maxLength: 4 }),
        encoding: fc.constantFrom('plain', 'pretty', 'ascii', 'escape-all'),
        mutation,
      }),
    },
    {
      weight: 15,
      arbitrary: fc.record({
        family: fc.constant('mutation'),
        kind: fc.constant('bulk'),
        endpoint: fc.constant('bulk'),
        jobs: fc.integer({ min: 1, max: 4 }),
        index: fc.nat(3),
        priorities: fc.array(fc.constantFrom(...PRIORITIES), { minLength: 4, maxLength: 4 }),
        tos: fc.array(fc.constantFrom(...GOOD_TO), { minLength: 4, maxLength: 4 }),
        encoding: fc.constantFrom('plain', 'pretty', 'ascii', 'escape-all'),
        mutation,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        family: fc.constant('mutation'),
        kind: fc.constant('bulk-size'),
        endpoint: fc.constant('bulk'),
        jobs: fc.constantFrom(0, 1, 999, 1000, 1001, 1500),
        // Or a flood of that many empty objects: 1,000 of them are 5,000 field errors
        // (50 reported); more are refused by their count; 400,000 would pass 1 MiB.
        flood: fc.constantFrom(0, 0, 0, 0, 1000, 1001, 30_000, 200_000, 400_000),
        priorities: fc.array(fc.constantFrom(...PRIORITIES), { minLength: 4, maxLength: 4 }),
        encoding: fc.constant('plain'),
      }),
    },
  );
}

function validJob(i, priority, to) {
  return {
    job_type: 'send_email',
    priority,
    payload: { to, subject: `Hello ${i}`, body: 'Hi there' },
  };
}

/**
 * JSON text of a value nested `depth` levels deep, built as text: JSON.stringify
 * itself overflows the stack at a few thousand levels.
 */
function nestedText(depth, shape) {
  let open = '';
  let close = '';
  for (let i = depth - 1; i >= 0; i--) {
    const asArray = shape === 'array' || (shape === 'mixed' && i % 2 === 1);
    open += asArray ? '[' : '{"a":';
    close = (asArray ? ']' : '}') + close;
  }
  return open + (shape === 'array' ? '' : '1') + close;
}

/** JSON text for a shape part (see shapePart), wrapped `depth` objects deep. */
function partText(p) {
  if (p.problem === 'deep') return nestedText(p.depth, p.shape);
  const inner =
    p.problem === 'long-array'
      ? `[${Array(p.length).fill('0').join(',')}]`
      : `{"x":1,${JSON.stringify(p.key)}:${p.value}}`;
  return '{"a":'.repeat(p.depth) + inner + '}'.repeat(p.depth);
}

/** The object holding `field` ('payload.to' -> job.payload) and the key in it. */
function locate(job, field) {
  if (!field.startsWith('payload.')) return [job, field];
  if (!isPlainObject(job.payload)) job.payload = {};
  return [job.payload, field.slice('payload.'.length)];
}

function setOwn(target, key, value) {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Placeholder strings for values spliced into the encoded body (raw bytes, deep nesting). */
const MARK = 'SPLICE-HERE-9f3c2a';

/** Puts splice mark `i` at `where` (see SPLICE_PLACES). */
function placeMark(job, where, i) {
  const value = `${MARK}-${i}`;
  if (where === 'top-extra') job[`nested${i}`] = value;
  else if (where === 'payload-extra') locate(job, 'payload.x')[0][`nested${i}`] = value;
  else if (where === 'payload') job.payload = value;
  else locate(job, where)[0][where.slice('payload.'.length)] = value;
}

/** Applies m to job; returns the JSON texts to splice in for marks 0, 1, ... */
function applyMutation(job, m) {
  switch (m.kind) {
    case 'wrong-type':
    case 'unicode': {
      const [target, key] = locate(job, m.field);
      target[key] = m.value;
      return [];
    }
    case 'missing': {
      const [target, key] = locate(job, m.field);
      delete target[key];
      return [];
    }
    case 'crlf':
      m.fields.forEach((field, i) => {
        const [target, key] = locate(job, field);
        const s = String(target[key]);
        const at = (m.at + i) % (s.length + 1);
        target[key] = s.slice(0, at) + m.lineBreak + s.slice(at);
      });
      return [];
    case 'huge': {
      const [target, key] = locate(job, m.field);
      target[key] = m.char.repeat(Math.ceil(m.length / m.char.length)).slice(0, m.length);
      return [];
    }
    case 'deep':
      placeMark(job, m.where, 0);
      return [nestedText(m.depth, m.shape)];
    case 'shape':
      // A later part may replace an earlier one's place (payload): its mark is then gone.
      m.parts.forEach(({ where }, i) => placeMark(job, where, i));
      return m.parts.map(({ part }) => partText(part));
    case 'extra-key': {
      const target = m.where === 'top' ? job : job.payload;
      // A key the job already has would only replace a value: make it a new one.
      const key = hasOwn(target, m.key) ? `${m.key}_x` : m.key;
      setOwn(target, key, m.value);
      return [];
    }
    case 'raw-bytes': {
      const [target, key] = locate(job, m.field);
      target[key] = `${MARK}-0`;
      return [Buffer.from([0x22, ...m.bytes, 0x22])];
    }
    default:
      throw new Error(`unknown mutation ${String(m.kind)}`);
  }
}

/** body with each mark that is still in it replaced by its text. */
function splice(body, texts) {
  let out = body;
  texts.forEach((text, i) => {
    const mark = Buffer.from(`"${MARK}-${i}"`);
    const at = out.indexOf(mark);
    if (at < 0) return;
    out = Buffer.concat([out.subarray(0, at), Buffer.from(text), out.subarray(at + mark.length)]);
  });
  return out;
}

function buildMutation(c) {
  const count = c.jobs;
  const jobs = Array.from({ length: count }, (_, i) =>
    validJob(i, c.priorities[i % 4], c.tos ? c.tos[i % 4] : GOOD_TO[i % GOOD_TO.length]),
  );
  const m = c.mutation;
  const texts = m ? applyMutation(jobs[c.index % count], m) : [];
  // bulk-size with a flood: that many empty objects instead (valid jobs would pass 1 MiB).
  const value =
    c.endpoint === 'single' ? jobs[0] : { jobs: c.flood ? Array(c.flood).fill({}) : jobs };
  // Spliced and huge values in plain JSON only: escaped, 1M characters would make 6-12 MB bodies.
  const plain = texts.length > 0 || (m && m.kind === 'huge');
  const body = splice(encodeJson(value, plain ? 'plain' : c.encoding), texts);
  return postRequest(c, c.endpoint, 'application/json', body, expectForJsonBody(c.endpoint, body));
}

// ---------------------------------------------------------------------------------
// Family (c): content types and odd bodies.
// ---------------------------------------------------------------------------------

const CONTENT_TYPES = [
  null,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json; charset="utf-8"',
  'Application/JSON',
  'application/json;',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; foo=bar',
  'application/json, text/plain',
  'application/json;charset=utf-8;charset=latin1',
  'application/jsonx',
  'application/json-patch+json',
  'application/vnd.api+json',
  'text/json',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=XyZ',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'application/*',
  ';',
  ';;;',
  '/',
  'garbage',
  'application/json\u00e9',
  'json',
];
const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 40,
    }),
  },
);

const MULTIPART =
  '--XyZ\r\nContent-Disposition: form-data; name="job_type"\r\n\r\nsend_email\r\n' +
  '--XyZ\r\nContent-Disposition: form-data; name="priority"\r\n\r\nhigh\r\n' +
  '--XyZ\r\nContent-Disposition: form-data; name="payload[to]"\r\n\r\nalice@example.com\r\n--XyZ--\r\n';

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Idempotency-Key values: 1-255 printable ASCII is valid (src/jobs/jobs.controller.ts). */
const idempotencyKey = fc.oneof(
  fc.string({ unit: printable, minLength: 1, maxLength: 40 }),
  fc.integer({ min: 240, max: 270 }).map((n) => 'k'.repeat(n)),
  fc.constantFrom(
    '',
    ' ',
    '   ',
    '\t',
    'a\tb',
    'a b',
    '\u00e9',
    'cl\u00e9',
    '\u00ff',
    'a\u007fb',
    ' padded ',
  ),
);

const idempotencyCase = fc.record({
  family: fc.constant('content-type'),
  kind: fc.constant('idempotency-key'),
  endpoint: fc.constantFrom('single', 'bulk'),
  key: idempotencyKey,
});

const plainContentTypeCase = fc.record({
  family: fc.constant('content-type'),
  kind: fc.constantFrom(
    'valid',
    'json',
    'garbage',
    'empty',
    'none',
    'form',
    'multipart',
    'text',
    'truncated',
  ),
  endpoint: fc.constantFrom('single', 'bulk'),
  contentType,
  json: smallJson,
  garbage: fc.uint8Array({ maxLength: 64 }),
  cut: fc.nat(),
});

const contentTypeCase = fc.oneof(
  { weight: 5, arbitrary: plainContentTypeCase },
  { weight: 1, arbitrary: idempotencyCase },
);

function strictJsonType(type) {
  return /^application\/json(\s*;\s*charset="?utf-8"?)?$/i.test(type.trim());
}

let idempotencyNonce = 0;
const RUN_ID = Math.random().toString(36).slice(2, 8);

/**
 * A valid job with an Idempotency-Key header. Each key is made unique (a nonce in
 * front), so every valid one is a first use: 201, its jobs, and its idempotency record.
 */
function buildIdempotency(c) {
  const job = validJob(0, 'low', GOOD_TO[1]);
  const body = Buffer.from(JSON.stringify(c.endpoint === 'single' ? job : { jobs: [job] }));
  const blank = c.key.trim() === '';
  const key = blank ? c.key : `n${RUN_ID}${(idempotencyNonce++).toString(36)}-${c.key}`;
  // HTTP drops leading and trailing spaces and tabs of a header value.
  const seen = key.replace(/^[ \t]+|[ \t]+$/g, '');
  // Over a socket: fetch refuses some of these header values (DEL) itself.
  const headers = { 'content-type': 'application/json', 'idempotency-key': key };
  const req = socketRequest(c, 'POST', Buffer.from(ENDPOINT_PATH[c.endpoint]), headers, body);
  const printableOnly = /^[\x20-\x7e]*$/.test(seen);
  if (printableOnly && seen.length >= 1 && seen.length <= 255 && seen.trim() !== '') {
    req.expect = { ...expectForJsonBody(c.endpoint, body), idempotent: true };
  } else if (printableOnly || /^[\t\x20-\x7e\x80-\xff]*$/.test(seen)) {
    // Refused by the controller; a DEL may already be refused by Node's HTTP parser.
    const byController = printableOnly || !seen.includes('\x7f');
    req.expect = byController
      ? { statuses: [400], creates: 0, fieldErrors: true, errorFields: ['Idempotency-Key'] }
      : { statuses: [400], creates: 0 };
  } else {
    req.expect = { statuses: [400], creates: 0 };
  }
  return req;
}

function buildContentType(c) {
  if (c.kind === 'idempotency-key') return buildIdempotency(c);
  const job = validJob(0, 'high', GOOD_TO[0]);
  const valid = Buffer.from(JSON.stringify(c.endpoint === 'single' ? job : { jobs: [job] }));
  const bodies = {
    valid,
    json: encodeJson(c.json, 'plain'),
    garbage: Buffer.from(c.garbage),
    empty: Buffer.alloc(0),
    none: undefined,
    form: Buffer.from('job_type=send_email&priority=high&payload%5Bto%5D=alice%40example.com'),
    multipart: Buffer.from(MULTIPART),
    text: Buffer.from('send_email high alice@example.com'),
    truncated: valid.subarray(0, c.cut % valid.length),
  };
  const body = bodies[c.kind];
  const type = c.contentType;
  const essence = type === null ? null : type.split(';')[0].trim().toLowerCase();
  let expect;
  if (type !== null && strictJsonType(type)) {
    expect = expectForJsonBody(c.endpoint, body ?? Buffer.alloc(0));
  } else if (essence === 'application/json') {
    // Other parameters (charset=latin1...): parsed as UTF-8 today; refusing them would be fine too.
    const json = expectForJsonBody(c.endpoint, body ?? Buffer.alloc(0));
    expect = {
      ...json,
      statuses: [...new Set([...json.statuses, 400, 415])],
      errorFields: undefined,
    };
  } else {
    // Not JSON: never a job. 415, or 400 when there is no body to parse at all.
    expect = { statuses: [400, 415], creates: 0 };
  }
  return postRequest(c, c.endpoint, type, body, expect);
}

// ---------------------------------------------------------------------------------
// Family (d): paths, ids and methods, sent verbatim over a socket.
// ---------------------------------------------------------------------------------

const PERCENT_PIECES = [
  '%',
  '%0',
  '%00',
  '%ZZ',
  '%zz',
  '%FF',
  '%ff',
  '%C0%80',
  '%ED%A0%80',
  '%E2%82',
  '%2e%2e',
  '%2E',
  '%2F',
  '%5C',
  '%20',
  '%0d%0a',
  '%u0041',
  '%%',
  '%25',
  '%3F',
  '%23',
  '%F0%9F%98%80',
  '%EF%BB%BF',
  '..',
  '/',
];
const hex = fc.string({
  unit: fc.constantFrom(...'0123456789abcdefABCDEF'),
  minLength: 1,
  maxLength: 8,
});
const idString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.uuid({ version: 4 }),
  fc.uuid({ version: 4 }).map((u) => u.toUpperCase()),
  fc.uuid(),
  fc
    .tuple(
      fc.uuid({ version: 4 }),
      fc.nat(35),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }),
    )
    .map(([u, at, s]) => u.slice(0, at) + s + u.slice(at + 1)),
  fc.constantFrom(
    '..',
    '.',
    '...',
    '',
    '%00',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    "1' OR '1'='1",
    '*',
  ),
  fc
    .tuple(
      fc.integer({ min: 90, max: 20_000 }),
      fc.constantFrom('x', 'A', '\u00e9', '\ud83d\ude00', '-'),
    )
    .map(([n, ch]) => ch.repeat(n)),
  fc
    .array(fc.oneof(fc.constantFrom(...PERCENT_PIECES), hex), { minLength: 1, maxLength: 10 })
    .map((p) => p.join('')),
);

const KNOWN_PATHS = [
  '/submit-job',
  '/submit-jobs',
  '/jobs/status/3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11',
  '/jobs',
  '/stats',
  '/health',
  '/docs',
  '/docs-json',
  '/redoc',
  '/',
];
const PATH_SUFFIXES = [
  '/',
  '//',
  '/..',
  '/../..',
  '/./',
  '%00',
  '?a=1',
  '?__proto__[x]=1',
  '#x',
  '/%2e%2e/',
  '.json',
  '/x',
  ';x',
  '%2F',
  '~',
];
const routePath = fc.oneof(
  fc.constantFrom(...KNOWN_PATHS),
  fc.webPath(),
  fc
    .tuple(fc.constantFrom(...KNOWN_PATHS), fc.constantFrom(...PATH_SUFFIXES))
    .map(([p, s]) => p + s),
  fc.constantFrom(
    '//',
    '/jobs',
    '/jobs/status',
    '/jobs/status/',
    '/JOBS/STATUS/x',
    '/docs/../../package.json',
    '/docs/%2e%2e/%2e%2e/package.json',
    '/redoc/..%2f..%2fpackage.json',
    '/docs/swagger-ui-init.js',
    '/redoc/redoc.standalone.js',
    '/node_modules/.package-lock.json',
    '/dist/main.js',
    '/.env',
    '*',
    '/%',
  ),
);

const pathCase = fc.oneof(
  fc.record({
    family: fc.constant('path'),
    kind: fc.constant('status-id'),
    id: idString,
    mode: fc.constantFrom('encoded', 'raw'),
  }),
  fc.record({
    family: fc.constant('path'),
    kind: fc.constant('route'),
    method: fc.constantFrom(
      'GET',
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'HEAD',
      'TRACE',
      'PROPFIND',
      'SEARCH',
      'FOO',
      'get',
    ),
    path: routePath,
    withBody: fc.boolean(),
  }),
);

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Percent-encodes the UTF-8 bytes of s (a lone surrogate becomes EF BF BD, as in Buffer). */
function percentEncode(s) {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out +=
      byte < 0x80 && UNRESERVED.test(ch)
        ? ch
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function buildPath(c) {
  if (c.kind === 'status-id') {
    let rawPath;
    let expect;
    if (c.mode === 'encoded') {
      const encoded = percentEncode(c.id);
      rawPath = Buffer.from(`/jobs/status/${encoded}`, 'latin1');
      const decoded = Buffer.from(c.id, 'utf8').toString('utf8');
      const urlLength = rawPath.length;
      if (encoded === '') expect = { statuses: [404], creates: 0 };
      else if (ANY_UUID.test(decoded)) expect = { statuses: [404], creates: 0 };
      else if (urlLength <= URL_LIMIT_BYTES)
        expect = { statuses: [400], creates: 0, fieldErrors: true, errorFields: ['job_id'] };
      else expect = { statuses: [414, 431], creates: 0 };
    } else {
      // Raw bytes in the request line (no CR/LF: those would end it).
      rawPath = Buffer.from(`/jobs/status/${c.id.replace(/[\r\n]/g, '')}`, 'utf8');
      expect = { creates: 0 };
    }
    return socketRequest(c, 'GET', rawPath, {}, undefined, expect);
  }
  const method = c.method;
  const pathOnly = c.path.split(/[?#]/)[0];
  const canHaveBody = c.withBody;
  const body = canHaveBody
    ? Buffer.from(JSON.stringify({ job_type: 'send_email', priority: 'high' }))
    : undefined;
  const headers = body ? { 'content-type': 'application/json' } : {};
  let expect;
  const endpoint = Object.keys(ENDPOINT_PATH).find((e) => ENDPOINT_PATH[e] === pathOnly);
  if (method === 'POST' && endpoint && !c.path.includes('#')) {
    expect = body ? expectForJsonBody(endpoint, body) : { statuses: [400], creates: 0 };
  } else if (['PUT', 'DELETE', 'PATCH'].includes(method) && KNOWN_PATHS.includes(c.path)) {
    expect = { statuses: [404], creates: 0 };
  } else {
    const docs =
      pathOnly === '/health' || pathOnly.startsWith('/docs') || pathOnly.startsWith('/redoc');
    // The operations' read routes: the listing and the statistics.
    const reads = pathOnly === '/jobs' || pathOnly === '/stats';
    expect = {
      creates: 0,
      successAllowed: (method === 'GET' || method === 'HEAD') && (docs || reads),
    };
  }
  return socketRequest(
    c,
    method,
    Buffer.from(c.path.replace(/[\r\n]/g, ''), 'utf8'),
    headers,
    body,
    expect,
  );
}

// ---------------------------------------------------------------------------------
// Requests.
// ---------------------------------------------------------------------------------

function label(c) {
  return `${c.family}/${c.kind}${c.mutation ? `/${c.mutation.kind}` : ''}`;
}

function postRequest(c, endpoint, contentType, body, expect) {
  const headers = contentType === null ? {} : { 'content-type': contentType };
  const path = ENDPOINT_PATH[endpoint];
  // The API answers 413 on seeing Content-Length and closes the connection while the
  // body is still being sent: fetch then often fails with EPIPE before it reads the
  // response, a socket of our own reads it every time.
  if (body && body.length > BODY_LIMIT_BYTES) {
    return socketRequest(c, 'POST', Buffer.from(path), headers, body, expect);
  }
  return {
    family: c.family,
    label: label(c),
    method: 'POST',
    path,
    transport: 'fetch',
    headers,
    body,
    expect,
  };
}

function socketRequest(c, method, rawPath, headers, body, expect) {
  return {
    family: c.family,
    label: label(c),
    method,
    path: rawPath.toString('latin1'),
    rawPath,
    transport: 'socket',
    headers,
    body,
    expect,
  };
}

/** The request for a case. */
function build(c) {
  switch (c.family) {
    case 'json':
      return buildJson(c);
    case 'mutation':
      return buildMutation(c);
    case 'content-type':
      return buildContentType(c);
    case 'path':
      return buildPath(c);
    default:
      throw new Error(`unknown family ${String(c.family)}`);
  }
}

/** The case arbitraries. options.maxDepth bounds the deep-nesting mutations (default 5,000). */
function makeCases(options = {}) {
  const mutation = makeMutationCase(options.maxDepth ?? 5000);
  return {
    json: jsonCase,
    mutation,
    contentType: contentTypeCase,
    path: pathCase,
    all: fc.oneof(
      { weight: 3, arbitrary: jsonCase },
      { weight: 4, arbitrary: mutation },
      { weight: 2, arbitrary: contentTypeCase },
      { weight: 3, arbitrary: pathCase },
    ),
  };
}

// ---------------------------------------------------------------------------------
// Sending.
// ---------------------------------------------------------------------------------

const TIMEOUT_MS = 30_000;

async function send(baseUrl, req) {
  if (req.transport === 'socket') {
    try {
      return await sendRaw(baseUrl, req);
    } catch (error) {
      // A connection reset while sending a body over the limit is a fair refusal.
      if (
        req.body &&
        req.body.length > BODY_LIMIT_BYTES &&
        /EPIPE|ECONNRESET/.test(String(error))
      ) {
        return { status: 0, contentType: '', text: '', reset: true };
      }
      throw error;
    }
  }
  let response;
  try {
    response = await fetch(baseUrl + req.path, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
    throw new Error(`${String(error)}${cause ? ` (${cause.code ?? ''} ${cause.message})` : ''}`, {
      cause: error,
    });
  }
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

/** Parses the first complete HTTP/1.1 response in buf, skipping 1xx; null if incomplete. */
function parseResponse(buf, method, closed) {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) return null;
    const head = buf.subarray(start, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!match) return closed ? { status: 0, contentType: '', text: buf.toString('latin1') } : null;
    const status = Number(match[1]);
    const headers = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0)
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const bodyStart = end + 4;
    if (status >= 100 && status < 200) {
      start = bodyStart;
      continue;
    }
    const contentType = headers['content-type'] ?? '';
    if (method === 'HEAD' || status === 204 || status === 304)
      return { status, contentType, text: '' };
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (buf.length - bodyStart < length) return null;
      return {
        status,
        contentType,
        text: buf.subarray(bodyStart, bodyStart + length).toString('utf8'),
      };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts = [];
      let at = bodyStart;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', at);
        if (lineEnd < 0) return null;
        const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return { status, contentType, text: '<bad chunk>' };
        if (size === 0) return { status, contentType, text: Buffer.concat(parts).toString('utf8') };
        if (buf.length < lineEnd + 2 + size + 2) return null;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    return closed ? { status, contentType, text: buf.subarray(bodyStart).toString('utf8') } : null;
  }
}

/** One request over its own connection, bytes as given (no URL normalisation). */
function sendRaw(baseUrl, req) {
  const { hostname, port } = new URL(baseUrl);
  const lines = [`Host: ${hostname}:${port}`, 'Connection: close'];
  for (const [name, value] of Object.entries(req.headers)) lines.push(`${name}: ${value}`);
  if (req.body) lines.push(`Content-Length: ${req.body.length}`);
  const head = Buffer.concat([
    Buffer.from(`${req.method} `, 'latin1'),
    req.rawPath,
    Buffer.from(` HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
  ]);
  const body = req.body ?? Buffer.alloc(0);
  // Over the limit, the API answers 413 from the headers alone and closes: give it the
  // chance to before sending megabytes that would turn the close into a reset.
  const pauseMs = body.length > BODY_LIMIT_BYTES ? 300 : 0;
  return new Promise((resolve, reject) => {
    const chunks = [];
    let settled = false;
    const socket = net.connect(Number(port), hostname);
    const finish = (error, closed) => {
      if (settled) return;
      const parsed = parseResponse(Buffer.concat(chunks), req.method, closed || Boolean(error));
      if (!parsed && !closed && !error) return;
      settled = true;
      socket.destroy();
      if (parsed) resolve(parsed);
      else reject(new Error(`no HTTP response (${error ? error.message : 'connection closed'})`));
    };
    socket.setTimeout(TIMEOUT_MS, () => finish(new Error('timed out'), true));
    socket.on('connect', () => {
      if (pauseMs === 0) {
        socket.write(Buffer.concat([head, body]));
        return;
      }
      socket.write(head);
      setTimeout(() => settled || socket.destroyed || socket.write(body), pauseMs);
    });
    socket.on('data', (d) => {
      chunks.push(d);
      finish(undefined, false);
    });
    socket.on('end', () => finish(undefined, true));
    socket.on('close', () => finish(undefined, true));
    socket.on('error', (error) => finish(error, true));
  });
}

// ---------------------------------------------------------------------------------
// Checking a response.
// ---------------------------------------------------------------------------------

/** Text that must not reach a client unless the client sent it (the body may echo input). */
const LEAK_MARKERS = [
  'node_modules',
  '/work/',
  'ioredis',
  'Error:',
  'ReplyError',
  'WRONGTYPE',
  'NOSCRIPT',
  'ECONNREFUSED',
  '.ts:',
  '.js:',
];
const STACK_FRAME = /\bat (?:async )?(?:[^\s()]+ \()?[^\s()]*:\d+:\d+\)?/;

/** Every string in a JSON value, keys included (iterative: bodies may nest deeply). */
function stringsIn(value) {
  const out = [];
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') out.push(node);
    else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        out.push(key);
        stack.push(node[key]);
      }
    }
  }
  return out;
}

function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function leaks(req, res, parsed) {
  const shown = parsed === undefined ? res.text : stringsIn(parsed).join('\n');
  const rawPath = req.rawPath ? req.rawPath.toString('utf8') : req.path;
  const bodyText = req.body ? Buffer.from(req.body).toString('utf8') : '';
  const bodyJson = bodyText.length <= BODY_LIMIT_BYTES ? tryJson(bodyText) : undefined;
  const sent = [
    req.path,
    rawPath,
    safeDecode(rawPath),
    ...Object.values(req.headers),
    bodyText,
    ...stringsIn(bodyJson),
  ].join('\n');
  const found = [];
  for (const marker of LEAK_MARKERS) {
    if (shown.includes(marker) && !sent.includes(marker)) found.push(marker);
  }
  const frame = STACK_FRAME.exec(shown);
  if (frame && !sent.includes(frame[0])) found.push(`stack frame "${frame[0]}"`);
  if (parsed !== null && typeof parsed === 'object' && JSON.stringify(parsed).includes('"stack"')) {
    if (!sent.includes('stack')) found.push('a "stack" key');
  }
  return found.map((what) => `error body exposes internals: ${what}`);
}

const quoteAll = (fields) => [...fields].map((f) => JSON.stringify(f)).join(', ');

/** The fields a 400's `errors` name, against errorFields, errorFieldsWithin and errorCount. */
function checkErrorFields(expect, errors) {
  const v = [];
  const named = new Set(errors.map((e) => (isPlainObject(e) ? e.field : undefined)));
  if (expect.errorCount !== undefined && errors.length !== expect.errorCount) {
    v.push(`${errors.length} errors, expected ${expect.errorCount} (named: ${quoteAll(named)})`);
  }
  // At MAX_REPORTED_ERRORS the list may have been cut: only what it names is checked.
  const capped = errors.length >= MAX_REPORTED_ERRORS;
  const missing = capped ? [] : (expect.errorFields ?? []).filter((f) => !named.has(f));
  if (missing.length > 0) {
    v.push(`errors do not name ${quoteAll(missing)} (named: ${quoteAll(named)})`);
  }
  if (expect.errorFieldsWithin) {
    const allowed = new Set(expect.errorFieldsWithin);
    const stray = [...named].filter((f) => !allowed.has(f));
    if (stray.length > 0) {
      const shown = expect.errorFieldsWithin.slice(0, 10);
      v.push(
        `errors name ${quoteAll(stray)}, expected only ${quoteAll(shown)}${expect.errorFieldsWithin.length > 10 ? ', ...' : ''}`,
      );
    }
  }
  const distinct = new Set([...(expect.errorFields ?? [])]).size;
  if (distinct > MAX_REPORTED_ERRORS && errors.length !== MAX_REPORTED_ERRORS) {
    v.push(
      `${errors.length} errors for ${distinct} invalid fields (${MAX_REPORTED_ERRORS} expected)`,
    );
  }
  return v;
}

/** Every invariant a response must satisfy; [] when it does. */
function check(req, res) {
  const v = [];
  const { status } = res;
  const expect = req.expect;
  if (res.reset) return []; // see send()
  if (status >= 500 || status < 100) v.push(`server error: ${status}`);
  if (expect.statuses && !expect.statuses.includes(status)) {
    v.push(`status ${status}, expected ${expect.statuses.join(' or ')}`);
  }
  const body = tryJson(res.text);
  if (status >= 400 && req.method !== 'HEAD') {
    if (!/^application\/json\b/i.test(res.contentType))
      v.push(`error content-type "${res.contentType}"`);
    if (!isPlainObject(body)) {
      v.push('error body is not a JSON object');
    } else {
      if (body.statusCode !== status)
        v.push(`statusCode ${String(body.statusCode)} != HTTP ${status}`);
      if (typeof body.error !== 'string') v.push('error body: `error` is not a string');
      if (typeof body.message !== 'string') v.push('error body: `message` is not a string');
      const errors = body.errors;
      if (errors !== undefined) {
        const wellFormed =
          Array.isArray(errors) &&
          errors.every(
            (e) => isPlainObject(e) && typeof e.field === 'string' && typeof e.message === 'string',
          );
        if (!wellFormed) v.push('`errors` is not a list of {field, message} strings');
        else {
          if (errors.length > MAX_REPORTED_ERRORS) v.push(`${errors.length} errors reported`);
          // Each message names its whole field (`jobs.3.payload.to must be ...`).
          const unnamed = errors.find((e) => !e.message.includes(e.field));
          if (unnamed) v.push(`error message does not name its field: ${JSON.stringify(unnamed)}`);
        }
      }
      if (status === 400 && expect.fieldErrors) {
        if (!Array.isArray(errors) || errors.length === 0) v.push('400 without `errors`');
        else v.push(...checkErrorFields(expect, errors));
      }
    }
    v.push(...leaks(req, res, body));
  }
  if (status === 201) {
    if (!expect.creates) v.push('201 for a request that must be refused');
    else if (req.path === ENDPOINT_PATH.single) {
      if (!isPlainObject(body) || !UUID_V4.test(String(body.job_id)) || body.status !== 'pending') {
        v.push(`201 body is not {job_id, status: pending}: ${res.text.slice(0, 200)}`);
      }
    } else if (
      !isPlainObject(body) ||
      !Array.isArray(body.job_ids) ||
      body.job_ids.length !== expect.creates ||
      !body.job_ids.every((id) => UUID_V4.test(String(id)))
    ) {
      v.push(`201 body is not {job_ids: [${expect.creates} ids]}: ${res.text.slice(0, 200)}`);
    }
  } else if (status >= 200 && status < 400 && !expect.successAllowed) {
    v.push(`unexpected success ${status}`);
  }
  return v;
}

/** The ids a 201 response reports, in request order. */
function createdIds(req, res) {
  if (res.status !== 201) return [];
  const body = tryJson(res.text);
  if (!isPlainObject(body)) return [];
  if (typeof body.job_id === 'string') return [body.job_id];
  return Array.isArray(body.job_ids) ? body.job_ids.map(String) : [];
}

/** Checks the job hashes of ids against what the request sent. redis: an ioredis client. */
async function checkStoredJobs(redis, prefix, ids, jobs) {
  const v = [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(`${prefix}:hash:${id}`);
  const replies = (await pipeline.exec()) ?? [];
  ids.forEach((id, i) => {
    const [error, hash] = replies[i] ?? [new Error('no reply'), null];
    const want = jobs?.[i];
    if (error || !hash || hash.job_id !== id) {
      v.push(`job ${id}: no hash stored`);
      return;
    }
    if (hash.job_type !== 'send_email' || hash.status !== 'pending') {
      v.push(`job ${id}: stored as ${hash.job_type}/${hash.status}`);
    }
    if (want && hash.priority !== want.priority)
      v.push(`job ${id}: priority ${hash.priority}, sent ${want.priority}`);
    const stored = tryJson(hash.payload);
    if (want && !deepEqual(stored, want.payload)) {
      v.push(
        `job ${id}: stored payload ${hash.payload.slice(0, 200)} differs from the one sent ${JSON.stringify(want.payload).slice(0, 200)}`,
      );
    }
  });
  return v;
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => hasOwn(b, k) && deepEqual(a[k], b[k]));
}

/** A one-line description of a request for messages and tables. */
function describeRequest(req) {
  const body = req.body
    ? ` ${req.body.length} B: ${Buffer.from(req.body.subarray(0, 160)).toString('utf8')}`
    : '';
  const path =
    req.path.length > 120 ? `${req.path.slice(0, 120)}... (${req.path.length} chars)` : req.path;
  return `${req.method} ${JSON.stringify(path)} ${JSON.stringify(req.headers)}${body}`;
}

module.exports = {
  BODY_LIMIT_BYTES,
  MAX_REPORTED_ERRORS,
  FAMILIES,
  build,
  check,
  checkStoredJobs,
  createdIds,
  describeRequest,
  expectForJsonBody,
  learnJobTypes,
  makeCases,
  send,
};
