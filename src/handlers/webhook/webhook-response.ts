import { STATUS_CODES } from 'node:http';
import { PermanentJobError, RetryLaterError } from '../job-handler';

/** Longest wait a Retry-After may ask for (the backoff's own ceiling). */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** How much of a response body `last_error` quotes. */
export const SNIPPET_LENGTH = 200;

/**
 * A `Retry-After` value in ms from `nowMs`: delay-seconds or an HTTP date (a date
 * in the past is 0). Undefined when absent or unreadable; at most MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowMs: number,
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // IMF-fixdate, and the obsolete RFC 850 and asctime forms, all name a weekday or month.
    const date = /[A-Za-z]/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(date)) return undefined;
    ms = date - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** The start of a response body, on one line, without control characters. */
export function snippet(text: string): string {
  const line = text
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > SNIPPET_LENGTH ? `${line.slice(0, SNIPPET_LENGTH)}...` : line;
}

function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

type Headers = Record<string, string | string[] | undefined>;

const headerValue = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The job's failure for a response, or null for a 2xx. 408, 429 and 5xx are
 * transient (with the `Retry-After` they carry, if any); a 3xx is permanent, as
 * redirects are not followed; any other 4xx is permanent.
 */
export function responseFailure(
  status: number,
  headers: Headers,
  body: string,
  nowMs: number,
): Error | null {
  if (status >= 200 && status < 300) return null;
  const quoted = snippet(body);
  const detail = quoted ? `: ${quoted}` : '';
  if (status >= 300 && status < 400) {
    const location = snippet(headerValue(headers, 'location') ?? '');
    return new PermanentJobError(
      `${statusLine(status)}: redirects are not followed${location ? ` (Location: ${location})` : ''}`,
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers['retry-after'], nowMs);
    if (retryAfterMs !== undefined) {
      const seconds = Math.ceil(retryAfterMs / 1000);
      return new RetryLaterError(
        `${statusLine(status)} (Retry-After ${seconds} s)${detail}`,
        retryAfterMs,
      );
    }
    return new Error(`${statusLine(status)}${detail}`);
  }
  if (status >= 400) return new PermanentJobError(`${statusLine(status)}${detail}`);
  return new Error(`${statusLine(status)}: unexpected status${detail}`);
}
