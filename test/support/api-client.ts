import { JsonResponse, request, waitForStatus } from './http';

export type Json = Record<string, unknown>;
export type JobJson = Json & { job_id: string; status: string };
export interface JobListJson {
  jobs: JobJson[];
  next_cursor: string | null;
}

/** The service's HTTP API, one method per route, for the e2e tests. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  private call<T = Json>(
    method: string,
    path: string,
    json?: unknown,
    headers: Record<string, string> = {},
  ): Promise<JsonResponse<T>> {
    return request<T>(`${this.baseUrl}${path}`, {
      method,
      json,
      headers: { ...this.headers, ...headers },
    });
  }

  submit(job: unknown, headers?: Record<string, string>) {
    return this.call<Json & { job_id: string }>('POST', '/submit-job', job, headers);
  }

  /** Submits and returns the new job's id (fails the test on anything but 201). */
  async submitId(job: unknown): Promise<string> {
    const res = await this.submit(job);
    if (res.status !== 201)
      throw new Error(`submit answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.job_id;
  }

  submitMany(jobs: unknown[], headers?: Record<string, string>) {
    return this.call<Json & { job_ids: string[] }>('POST', '/submit-jobs', { jobs }, headers);
  }

  status(id: string) {
    return this.call<JobJson>('GET', `/jobs/status/${id}`);
  }

  job(id: string) {
    return this.call<JobJson>('GET', `/jobs/${id}`);
  }

  list(query: Record<string, string | number> = {}) {
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    ).toString();
    return this.call<JobListJson>('GET', `/jobs${search ? `?${search}` : ''}`);
  }

  /** Every job of a listing, following next_cursor page by page; `between` runs after each page. */
  async listAll(
    query: Record<string, string | number> = {},
    between?: (page: number) => Promise<void>,
  ): Promise<JobJson[]> {
    const jobs: JobJson[] = [];
    let cursor: string | null = null;
    for (let page = 1; ; page++) {
      const res = await this.list(cursor ? { ...query, cursor } : query);
      if (res.status !== 200) throw new Error(`GET /jobs answered ${res.status}`);
      jobs.push(...res.body.jobs);
      cursor = res.body.next_cursor;
      if (cursor === null) return jobs;
      await between?.(page);
    }
  }

  cancel(id: string) {
    return this.call<JobJson>('POST', `/jobs/${id}/cancel`);
  }

  retry(id: string) {
    return this.call<JobJson>('POST', `/jobs/${id}/retry`);
  }

  retryFailed(body?: unknown) {
    return this.call<{ retried: number }>('POST', '/jobs/retry-failed', body);
  }

  purge(body: unknown) {
    return this.call<{ deleted: number }>('POST', '/jobs/purge', body);
  }

  stats() {
    return this.call<Json>('GET', '/stats');
  }

  waitForStatus(id: string, wanted: string, timeoutMs = 30_000) {
    return waitForStatus(this.baseUrl, id, wanted, { timeoutMs }) as Promise<JobJson>;
  }
}
