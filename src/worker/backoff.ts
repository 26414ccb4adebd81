/** Longest wait before a retry, whatever the base and the retry number. */
export const MAX_BACKOFF_MS = 24 * 60 * 60 * 1000;

/**
 * Exponential backoff before retry number `retry` (1-based): base, 2*base, 4*base...
 * With the default base of 1 s: 1 s, 2 s, 4 s, as the seed describes.
 */
export function backoffDelayMs(baseMs: number, retry: number): number {
  if (!Number.isFinite(baseMs) || baseMs <= 0 || retry < 1) return 0;
  return Math.min(baseMs * 2 ** (retry - 1), MAX_BACKOFF_MS);
}
