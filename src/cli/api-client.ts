import type { JobRecord } from '../queue/job.types';
import type { QueueStatsSnapshot } from '../queue/queue-stats';
import { RawAnswer, RequestFailedError } from './errors';
import { GlobalOptions } from './options';

/** A successful answer: the body parsed, and as received (what --json prints). */
export interface Answer<T> {
  status: number;
  body: T;
  text: string;
}

export interface JobList {
  jobs: JobRecord[];
  next_cursor: string | null;
}

export type Query = Record<string, string | number | undefined>;

interface CallOptions {
  query?: Query;
  json?: unknown;
  headers?: Record<string, string>;
}

/**
 * The service's HTTP API, one method per route. Every command goes through here, so
 * the CLI gets exactly the API's authentication, validation and limits. A request
 * that does not succeed throws RequestFailedError with a message for people.
 */
export class JobqApi {
  constructor(
    private readonly options: GlobalOptions,
    private readonly userAgent: string,
  ) {}

  get baseUrl(): string {
    return this.options.url;
  }

  submit(
    job: unknown,
    idempotencyKey?: string,
  ): Promise<Answer<{ job_id: string; status: string }>> {
    const headers: Record<string, string> = idempotencyKey
      ? { 'idempotency-key': idempotencyKey }
      : {};
    return this.call('POST', 'submit-job', { json: job, headers });
  }

  job(id: string): Promise<Answer<JobRecord>> {
    return this.call('GET', `jobs/${encodeURIComponent(id)}`);
  }

  list(query: Query): Promise<Answer<JobList>> {
    return this.call('GET', 'jobs', { query });
  }

  stats(): Promise<Answer<QueueStatsSnapshot>> {
    return this.call('GET', 'stats');
  }

  cancel(id: string): Promise<Answer<JobRecord>> {
    return this.call('POST', `jobs/${encodeURIComponent(id)}/cancel`);
  }

  retry(id: string): Promise<Answer<JobRecord>> {
    return this.call('POST', `jobs/${encodeURIComponent(id)}/retry`);
  }

  retryFailed(filter: { job_type?: string; priority?: string; max?: number }) {
    return this.call<{ retried: number }>('POST', 'jobs/retry-failed', { json: filter });
  }

  purge(body: { status: string; older_than_s?: number }) {
    return this.call<{ deleted: number }>('POST', 'jobs/purge', { json: body });
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    { query = {}, json, headers = {} }: CallOptions = {},
  ): Promise<Answer<T>> {
    // Relative to the base so that an API served under a path (behind a proxy) works.
    const url = new URL(path, `${this.options.url}/`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const requestHeaders: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...headers,
    };
    if (this.options.apiKey) requestHeaders.authorization = `Bearer ${this.options.apiKey}`;
    if (json !== undefined) requestHeaders['content-type'] = 'application/json';

    let status: number;
    let statusText: string;
    let text: string;
    try {
      // One deadline for the whole exchange, the body included.
      const response = await fetch(url, {
        method,
        headers: requestHeaders,
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.status;
      statusText = response.statusText;
      text = await response.text();
    } catch (error) {
      throw new RequestFailedError(this.describeFailure(error));
    }

    let body: unknown;
    let isJson = true;
    try {
      body = JSON.parse(text);
    } catch {
      isJson = false;
    }
    const answer: RawAnswer = { status, text, isJson };
    if (status < 200 || status > 299) {
      throw new RequestFailedError(this.describeError(status, statusText, body), answer);
    }
    if (!isJson) {
      throw new RequestFailedError(
        `the answer from ${this.options.url} is not JSON (HTTP ${status}): is that the job queue API?`,
        answer,
      );
    }
    return { status, body: body as T, text };
  }

  /** "job ... not found (HTTP 404, JOB.NOT_FOUND)", from the API's common error body. */
  private describeError(status: number, statusText: string, body: unknown): string {
    const fields =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const message =
      typeof fields.message === 'string' ? fields.message : statusText || 'request failed';
    const code = typeof fields.code === 'string' ? `, ${fields.code}` : '';
    let text = `${message} (HTTP ${status}${code})`;
    if (status === 401 && !this.options.apiKey) {
      text += '; pass --api-key or set JOBQ_API_KEY';
    }
    return text;
  }

  /** Why no answer came: the address, and the network error in plain words. */
  private describeFailure(error: unknown): string {
    const where = `the API at ${this.options.url}`;
    if (error instanceof Error && error.name === 'TimeoutError') {
      return `no answer from ${where} within ${this.options.timeoutMs} ms (--timeout-ms)`;
    }
    const code = networkErrorCode(error);
    switch (code) {
      case 'ECONNREFUSED':
        return `cannot reach ${where}: connection refused (is the service running? set --url or JOBQ_URL)`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `cannot reach ${where}: host not found`;
      case 'ECONNRESET':
      case 'UND_ERR_SOCKET':
        return `cannot reach ${where}: the connection was closed before an answer`;
      default: {
        const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
        const detail = cause instanceof Error ? cause.message : String(cause);
        return `cannot reach ${where}: ${code ? `${code}, ` : ''}${detail}`;
      }
    }
  }
}

/** fetch() fails with TypeError("fetch failed") whose cause holds the socket's error code. */
function networkErrorCode(error: unknown): string | undefined {
  return codeOf(error instanceof Error ? error.cause : undefined);
}

function codeOf(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { code, errors } = cause as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  // Several addresses tried (localhost as ::1 and 127.0.0.1): an AggregateError.
  if (Array.isArray(errors) && errors.length > 0) return codeOf(errors[0]);
  return undefined;
}
