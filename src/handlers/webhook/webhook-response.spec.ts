import { isPermanentJobError, retryAfterMsOf } from '../job-handler';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, responseFailure, snippet } from './webhook-response';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    [' 30 ', 30_000],
    [['5', '60'], 5000],
  ])('delay-seconds %j', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([
    ['Sun, 01 Mar 2026 12:02:00 GMT', 120_000], // IMF-fixdate
    ['Sunday, 01-Mar-26 12:00:30 GMT', 30_000], // obsolete RFC 850
    ['Sun Mar  1 12:00:10 2026', 10_000], // asctime: no zone, read as local time, so only parsed here
  ])('HTTP date %s is accepted', (value, ms) => {
    const parsed = parseRetryAfter(value, NOW);
    if (value.endsWith('GMT')) expect(parsed).toBe(ms);
    else expect(parsed).toEqual(expect.any(Number));
  });

  it('a date in the past means now', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW)).toBe(0);
  });

  it(`is capped at ${MAX_RETRY_AFTER_MS} ms`, () => {
    expect(parseRetryAfter('999999999', NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', NOW)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([undefined, '', '  ', '-5', '1.5', 'soon', '2026-03-01', '12:00', []])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value as string | undefined, NOW)).toBeUndefined();
    },
  );
});

describe('snippet', () => {
  it('puts a body on one line without control characters, and cuts it at 200 characters', () => {
    expect(snippet('  {"error":\n  "bad"}\r\n')).toBe('{"error": "bad"}');
    expect(snippet('a\u0000b\u001bc')).toBe('a b c');
    expect(snippet('x'.repeat(300))).toBe(`${'x'.repeat(200)}...`);
    expect(snippet('')).toBe('');
  });
});

describe('responseFailure', () => {
  it.each([200, 201, 202, 204, 299])('%i is a success', (status) => {
    expect(responseFailure(status, {}, '', NOW)).toBeNull();
  });

  it.each([
    [400, 'HTTP 400 Bad Request: {"error":"bad payload"}'],
    [401, 'HTTP 401 Unauthorized: {"error":"bad payload"}'],
    [403, 'HTTP 403 Forbidden: {"error":"bad payload"}'],
    [404, 'HTTP 404 Not Found: {"error":"bad payload"}'],
    [410, 'HTTP 410 Gone: {"error":"bad payload"}'],
    [422, 'HTTP 422 Unprocessable Entity: {"error":"bad payload"}'],
  ])('%i is permanent', (status, message) => {
    const error = responseFailure(status, {}, '{"error":"bad payload"}', NOW)!;
    expect(isPermanentJobError(error)).toBe(true);
    expect(error.message).toBe(message);
  });

  it.each([301, 302, 303, 307, 308])('%i is permanent: redirects are not followed', (status) => {
    const error = responseFailure(status, { location: 'https://elsewhere.example.com/' }, '', NOW)!;
    expect(isPermanentJobError(error)).toBe(true);
    expect(error.message).toMatch(
      new RegExp(
        `^HTTP ${status} [A-Za-z ]+: redirects are not followed \\(Location: https://elsewhere\\.example\\.com/\\)$`,
      ),
    );
  });

  it.each([408, 429, 500, 502, 503, 504])('%i is transient', (status) => {
    const error = responseFailure(status, {}, 'busy', NOW)!;
    expect(isPermanentJobError(error)).toBe(false);
    expect(retryAfterMsOf(error)).toBe(0);
    expect(error.message).toMatch(new RegExp(`^HTTP ${status} [A-Za-z ]+: busy$`));
  });

  it('a transient status with Retry-After asks for that wait (seconds or a date)', () => {
    const seconds = responseFailure(429, { 'retry-after': '120' }, '', NOW)!;
    expect(isPermanentJobError(seconds)).toBe(false);
    expect(retryAfterMsOf(seconds)).toBe(120_000);
    expect(seconds.message).toBe('HTTP 429 Too Many Requests (Retry-After 120 s)');

    const date = responseFailure(
      503,
      { 'retry-after': 'Sun, 01 Mar 2026 12:00:45 GMT' },
      'x',
      NOW,
    )!;
    expect(retryAfterMsOf(date)).toBe(45_000);
    expect(date.message).toBe('HTTP 503 Service Unavailable (Retry-After 45 s): x');
  });

  it('an unreadable Retry-After is ignored; a permanent status ignores it', () => {
    expect(retryAfterMsOf(responseFailure(503, { 'retry-after': 'later' }, '', NOW))).toBe(0);
    const gone = responseFailure(404, { 'retry-after': '60' }, '', NOW)!;
    expect(isPermanentJobError(gone)).toBe(true);
    expect(retryAfterMsOf(gone)).toBe(0);
  });

  it('an odd status is transient and says so', () => {
    const error = responseFailure(103, {}, '', NOW)!;
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toBe('HTTP 103 Early Hints: unexpected status');
    expect(responseFailure(599, {}, '', NOW)!.message).toBe('HTTP 599');
  });
});
