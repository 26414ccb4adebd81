import { backoffDelayMs, MAX_BACKOFF_MS } from './backoff';

describe('backoffDelayMs', () => {
  it('doubles from the base: 1 s, 2 s, 4 s with the default base', () => {
    expect([1, 2, 3].map((retry) => backoffDelayMs(1000, retry))).toEqual([1000, 2000, 4000]);
  });

  it('scales with the base', () => {
    expect([1, 2, 3, 4].map((retry) => backoffDelayMs(50, retry))).toEqual([50, 100, 200, 400]);
  });

  it('is 0 for a zero base or a retry number below 1', () => {
    expect(backoffDelayMs(0, 3)).toBe(0);
    expect(backoffDelayMs(1000, 0)).toBe(0);
    expect(backoffDelayMs(1000, -1)).toBe(0);
  });

  it('never exceeds MAX_BACKOFF_MS, even for huge retry numbers', () => {
    expect(backoffDelayMs(1000, 40)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(86_400_000, 100)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelayMs(1000, 17)).toBe(65_536_000);
  });
});
