import { FieldIssue } from '../../common/validation/field-error';
import { jobCompiler } from '../../common/validation/test-compiler';
import { SubmitJobDto } from '../../jobs/dto/submit-job.dto';
import { RESERVED_HEADERS, WEBHOOK_LIMITS, WebhookPayloadDto } from './webhook-payload.dto';

/** The compiled validators the API runs, resolving `webhook` to this DTO. */
const compiler = jobCompiler({ webhook: WebhookPayloadDto });

/** Every rule a payload breaks, as a submit of it reports them (all, not only the first per field). */
function validate(payload: Record<string, unknown>): FieldIssue[] {
  return compiler.validate(SubmitJobDto, { job_type: 'webhook', priority: 'low', payload }, 'all');
}

/** The messages as the API reports them, each naming its field path. */
function messages(payload: Record<string, unknown>): string[] {
  return validate(payload).map((e) => e.message);
}

const URL_OK = 'https://hooks.example.com/orders?tenant=acme';

describe('WebhookPayloadDto', () => {
  it('accepts a minimal and a full payload', () => {
    expect(validate({ url: URL_OK })).toEqual([]);
    expect(
      validate({
        url: 'http://hooks.example.com:8080/x',
        method: 'PUT',
        headers: { Authorization: 'Bearer abc', 'X-Tenant': 'acme', 'User-Agent': 'mine/1.0' },
        body: { event: 'order.paid', items: [1, 2, { nested: true }], note: null },
        timeout_ms: 5000,
      }),
    ).toEqual([]);
  });

  it('treats null optional fields as absent', () => {
    expect(validate({ url: URL_OK, method: null, headers: null, timeout_ms: null })).toEqual([]);
  });

  describe('url', () => {
    it('is required', () => {
      expect(messages({})).toEqual(['payload.url must be a string']);
    });

    it.each([
      ['a number', 42, 'payload.url must be a string'],
      ['an object', { href: URL_OK }, 'payload.url must be a string'],
      ['relative', '/orders', 'payload.url must be an absolute http:// or https:// URL'],
      ['not a URL', 'hooks.example.com', 'payload.url must be an absolute http:// or https:// URL'],
      ['ftp', 'ftp://files.example.com/x', 'payload.url must be an http:// or https:// URL'],
      ['javascript', 'javascript:alert(1)', 'payload.url must be an http:// or https:// URL'],
      ['file', 'file:///etc/passwd', 'payload.url must be an http:// or https:// URL'],
      [
        'credentials',
        'https://user:pass@hooks.example.com/',
        'payload.url must not contain credentials (user:password@); send them in headers',
      ],
      [
        'a user name only',
        'https://user@hooks.example.com/',
        'payload.url must not contain credentials (user:password@); send them in headers',
      ],
      [
        'a space',
        'https://hooks.example.com/a b',
        'payload.url must be printable ASCII without spaces (percent-encode the rest, xn-- for international domains)',
      ],
      [
        'CRLF',
        'https://hooks.example.com/\r\nX: y',
        'payload.url must be printable ASCII without spaces (percent-encode the rest, xn-- for international domains)',
      ],
      [
        'non-ASCII',
        'https://exämple.com/',
        'payload.url must be printable ASCII without spaces (percent-encode the rest, xn-- for international domains)',
      ],
      [
        'empty',
        '',
        'payload.url must be printable ASCII without spaces (percent-encode the rest, xn-- for international domains)',
      ],
    ])('refuses %s', (_what, url, message) => {
      expect(messages({ url })).toEqual([message]);
    });

    it(`is limited to ${WEBHOOK_LIMITS.urlMaxLength} characters`, () => {
      const base = 'https://hooks.example.com/';
      const longest = base + 'a'.repeat(WEBHOOK_LIMITS.urlMaxLength - base.length);
      expect(longest).toHaveLength(2048);
      expect(validate({ url: longest })).toEqual([]);
      expect(messages({ url: `${longest}a` })).toEqual([
        'payload.url must be at most 2048 characters',
      ]);
    });

    it('accepts IP literals and ports (the address policy applies when sending)', () => {
      expect(validate({ url: 'http://127.0.0.1:8080/hook' })).toEqual([]);
      expect(validate({ url: 'https://[2001:db8::1]/hook' })).toEqual([]);
    });
  });

  describe('method', () => {
    it.each(['POST', 'PUT'])('accepts %s', (method) => {
      expect(validate({ url: URL_OK, method })).toEqual([]);
    });

    it.each(['GET', 'post', 'DELETE', 'PATCH', 1])('refuses %j', (method) => {
      expect(messages({ url: URL_OK, method })).toEqual([
        'payload.method must be one of the following values: POST, PUT',
      ]);
    });
  });

  describe('headers', () => {
    it(`accepts ${WEBHOOK_LIMITS.maxHeaders} headers and refuses one more`, () => {
      const headers = Object.fromEntries(
        Array.from({ length: WEBHOOK_LIMITS.maxHeaders }, (_, i) => [`X-H${i}`, `v${i}`]),
      );
      expect(validate({ url: URL_OK, headers })).toEqual([]);
      expect(messages({ url: URL_OK, headers: { ...headers, 'X-One-More': 'x' } })).toEqual([
        'payload.headers must have at most 20 entries',
      ]);
    });

    it.each([
      ...RESERVED_HEADERS,
      'HOST',
      'Content-Length',
      'Transfer-Encoding',
      'Webhook-Signature',
    ])('refuses %s', (name) => {
      expect(messages({ url: URL_OK, headers: { [name]: 'x' } })).toEqual([
        `payload.headers must not set ${name} (a hop-by-hop or framing header, or one the sender sets)`,
      ]);
    });

    it.each([
      ['a space', 'X Tenant'],
      ['a colon', 'X-Tenant:'],
      ['an empty name', ''],
      ['non-ASCII', 'X-Grüße'],
      ['a newline', 'X-A\nB'],
    ])('refuses a name with %s', (_what, name) => {
      const [message] = messages({ url: URL_OK, headers: { [name]: 'x' } });
      expect(message).toMatch(/^payload\.headers has an invalid header name /);
      expect(message).toContain(JSON.stringify(name));
    });

    it.each([
      ['CRLF', 'a\r\nInjected: yes'],
      ['LF', 'a\nb'],
      ['NUL', 'a\u0000b'],
      ['non-ASCII', 'grüße'],
      ['a number', 42],
      ['an object', { a: 1 }],
      ['null', null],
      ['too long', 'v'.repeat(WEBHOOK_LIMITS.headerValueMaxLength + 1)],
    ])('refuses a value with %s', (_what, value) => {
      expect(messages({ url: URL_OK, headers: { 'X-Tenant': value } })).toEqual([
        'payload.headers has an invalid value for X-Tenant (a string of printable ASCII and tabs, no line breaks, at most 8192 characters)',
      ]);
    });

    it('accepts tabs, empty values and a value of the longest length', () => {
      expect(
        validate({
          url: URL_OK,
          headers: {
            'X-A': 'a\tb',
            'X-B': '',
            'X-C': 'c'.repeat(WEBHOOK_LIMITS.headerValueMaxLength),
          },
        }),
      ).toEqual([]);
    });

    it('refuses the same name twice in different case', () => {
      expect(messages({ url: URL_OK, headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } })).toEqual([
        'payload.headers names x-tenant twice (header names are case-insensitive)',
      ]);
    });

    it.each([
      ['an array', [['X-A', 'b']]],
      ['a string', 'X-A: b'],
      ['a number', 1],
    ])('must be an object, not %s', (_what, headers) => {
      expect(messages({ url: URL_OK, headers })).toEqual([
        'payload.headers must be an object of header names to string values',
      ]);
    });
  });

  describe('body', () => {
    it.each([
      ['an object', { a: 1, b: [true, null, 'x'] }],
      ['an array', [1, 2, 3]],
      ['a string', 'hello'],
      ['a number', 3.5],
      ['false', false],
      ['null', null],
      ['an empty object', {}],
    ])('accepts %s', (_what, body) => {
      expect(validate({ url: URL_OK, body })).toEqual([]);
    });

    it(`is limited to ${WEBHOOK_LIMITS.bodyMaxBytes} bytes of JSON (UTF-8)`, () => {
      // {"s":"..."} is 8 bytes around the string.
      const fits = { s: 'x'.repeat(WEBHOOK_LIMITS.bodyMaxBytes - 8) };
      expect(Buffer.byteLength(JSON.stringify(fits))).toBe(WEBHOOK_LIMITS.bodyMaxBytes);
      expect(validate({ url: URL_OK, body: fits })).toEqual([]);
      expect(messages({ url: URL_OK, body: { s: `${fits.s}x` } })).toEqual([
        'payload.body must be at most 262144 bytes as JSON (got 262145)',
      ]);
      // Counted in bytes: 'é' is two.
      expect(messages({ url: URL_OK, body: 'é'.repeat(WEBHOOK_LIMITS.bodyMaxBytes / 2) })).toEqual([
        'payload.body must be at most 262144 bytes as JSON (got 262146)',
      ]);
    });
  });

  describe('timeout_ms', () => {
    it.each([100, 10_000, 30_000])('accepts %i', (timeout_ms) => {
      expect(validate({ url: URL_OK, timeout_ms })).toEqual([]);
    });

    it.each([99, 30_001, 0, -1, 1.5, '1000', true])('refuses %j', (timeout_ms) => {
      const all = messages({ url: URL_OK, timeout_ms });
      expect(all.length).toBeGreaterThan(0);
      expect(new Set(all)).toEqual(
        new Set(['payload.timeout_ms must be an integer between 100 and 30000']),
      );
    });
  });

  it.each(['data', 'payload', 'retries', 'Url', 'signature'])(
    'refuses the unknown field %s',
    (field) => {
      expect(messages({ url: URL_OK, [field]: 'x' })).toEqual([
        `property payload.${field} should not exist`,
      ]);
    },
  );

  it('reports every failing field at once', () => {
    expect(
      messages({ url: 'ftp://x', method: 'GET', headers: { Host: 'x' }, timeout_ms: 5, extra: 1 }),
    ).toEqual([
      'property payload.extra should not exist',
      'payload.url must be an http:// or https:// URL',
      'payload.method must be one of the following values: POST, PUT',
      'payload.headers must not set Host (a hop-by-hop or framing header, or one the sender sets)',
      'payload.timeout_ms must be an integer between 100 and 30000',
    ]);
  });
});
