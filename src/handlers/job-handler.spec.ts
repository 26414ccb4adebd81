import {
  isPermanentJobError,
  PermanentJobError,
  RetryLaterError,
  retryAfterMsOf,
} from './job-handler';

describe('job failures', () => {
  it('RetryLaterError is transient and carries its wait', () => {
    const error = new RetryLaterError('HTTP 429 Too Many Requests', 5000);
    expect(isPermanentJobError(error)).toBe(false);
    expect(retryAfterMsOf(error)).toBe(5000);
    expect(error.message).toBe('HTTP 429 Too Many Requests');
  });

  it('is recognised by its code, not its class (errors may cross module copies)', () => {
    expect(retryAfterMsOf({ code: 'JOB.RETRY_LATER', retryAfterMs: 1234 })).toBe(1234);
  });

  it.each([
    ['a plain error', new Error('x')],
    ['a permanent error', new PermanentJobError('x')],
    ['null', null],
    ['a string', 'boom'],
    ['a negative wait', { code: 'JOB.RETRY_LATER', retryAfterMs: -5 }],
    ['a wait that is not a number', { code: 'JOB.RETRY_LATER', retryAfterMs: '5' }],
    ['an infinite wait', { code: 'JOB.RETRY_LATER', retryAfterMs: Infinity }],
  ])('asks for no wait: %s', (_what, error) => {
    expect(retryAfterMsOf(error)).toBe(0);
  });
});
