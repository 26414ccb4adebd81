import { InvalidArgumentError, Option } from 'commander';

/** Connection settings shared by every command that calls the API. */
export interface GlobalOptions {
  url: string;
  apiKey?: string;
  timeoutMs: number;
}

export const DEFAULT_URL = 'http://127.0.0.1:3000';
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The API's base address: http(s), no query or fragment, no trailing slash (a path
 * is kept, for an API served under one behind a proxy).
 */
export function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('must be an http:// or https:// URL.');
  }
  if (url.search || url.hash) {
    throw new InvalidArgumentError('must not have a query or a fragment.');
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * A whole number of at least `min`, written as digits only ("1e3", "12ms" and "-1" are
 * refused rather than half-read). Upper bounds are the API's to judge, so that its own
 * message names the field.
 */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`must be a whole number${min > 0 ? ` >= ${min}` : ''}.`);
    }
    return n;
  };
}

/** The options every API command accepts (before or after the command name). */
export function globalOptions(): Option[] {
  return [
    new Option('--url <url>', 'base URL of the API')
      .env('JOBQ_URL')
      .default(DEFAULT_URL)
      .argParser(parseBaseUrl),
    new Option('--api-key <key>', 'API key, sent as Authorization: Bearer <key>').env(
      'JOBQ_API_KEY',
    ),
    new Option('--timeout-ms <ms>', 'give up on a request after this long')
      .default(DEFAULT_TIMEOUT_MS)
      .argParser(wholeNumber(1)),
  ];
}

export const JSON_OPTION_HELP = "print the API's JSON body as is, for scripts";
