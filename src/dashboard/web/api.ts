import type { FinishedState, Job, JobPage, Priority, Stats, JobStatus } from './types';

/** An error answer of the API: its status, its stable `code` and its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }

  get needsAdminKey(): boolean {
    return this.status === 403;
  }
}

const KEY_ITEM = 'jobq.dashboard.apiKey';

/**
 * The API key for this browser tab: sessionStorage, so it is gone when the tab
 * closes and never shared with other tabs. It is only ever sent as a header.
 */
export const keyStore = {
  get(): string | null {
    try {
      return sessionStorage.getItem(KEY_ITEM);
    } catch {
      return null;
    }
  },
  set(key: string): void {
    sessionStorage.setItem(KEY_ITEM, key);
  },
  clear(): void {
    sessionStorage.removeItem(KEY_ITEM);
  },
};

export function authHeaders(): Record<string, string> {
  const key = keyStore.get();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export interface ListFilters {
  status?: JobStatus;
  priority?: Priority;
  job_type?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The API calls the page makes, all same-origin and keyed by header. A 401 calls
 * `onUnauthorized` (the page then asks for a key) before the error is thrown.
 */
export class Api {
  constructor(private readonly onUnauthorized: () => void) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, undefined, 'The server cannot be reached');
    }
    const text = await response.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    if (!response.ok) {
      const error = (json ?? {}) as { code?: string; message?: string };
      if (response.status === 401) this.onUnauthorized();
      throw new ApiError(
        response.status,
        error.code,
        error.message ?? `${method} ${path} answered ${response.status}`,
      );
    }
    return json as T;
  }

  stats(): Promise<Stats> {
    return this.call('GET', '/stats');
  }

  jobs(filters: ListFilters): Promise<JobPage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filters)) {
      if (value !== undefined && value !== '') query.set(name, String(value));
    }
    const search = query.toString();
    return this.call('GET', `/jobs${search ? `?${search}` : ''}`);
  }

  job(id: string): Promise<Job> {
    return this.call('GET', `/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<Job> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/cancel`);
  }

  retry(id: string): Promise<Job> {
    return this.call('POST', `/jobs/${encodeURIComponent(id)}/retry`);
  }

  retryFailed(): Promise<{ retried: number }> {
    return this.call('POST', '/jobs/retry-failed');
  }

  purge(status: FinishedState, olderThanS?: number): Promise<{ deleted: number }> {
    return this.call('POST', '/jobs/purge', {
      status,
      ...(olderThanS ? { older_than_s: olderThanS } : {}),
    });
  }
}

/** A sentence for an error shown in the page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) {
      return 'This action needs an admin API key (ADMIN_API_KEYS). Change the key to an admin key.';
    }
    if (error.status === 401) return 'The API key was refused.';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
