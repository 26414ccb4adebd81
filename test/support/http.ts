import { waitFor } from './wait';

/** Small fetch wrappers for the e2e tests. */
export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = Record<string, unknown>>(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<JsonResponse<T>> {
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    headers:
      json === undefined
        ? rest.headers
        : { 'content-type': 'application/json', ...(rest.headers ?? {}) },
    body: json === undefined ? rest.body : JSON.stringify(json),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

export function emailJob(
  priority: 'high' | 'low' = 'high',
  to = 'alice@example.com',
  extra: Record<string, unknown> = {},
) {
  return {
    job_type: 'send_email',
    priority,
    payload: { to, subject: 'Hello', body: 'Hi there', ...extra },
  };
}

/** Polls GET /jobs/status/{id} until the job reaches `wanted`; each request must answer within `requestTimeoutMs`. */
export function waitForStatus(
  baseUrl: string,
  id: string,
  wanted: string,
  { timeoutMs = 30_000, requestTimeoutMs = 10_000 } = {},
): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const { body } = await request(`${baseUrl}/jobs/status/${id}`, {
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      return body.status === wanted && body;
    },
    { what: `job ${id} ${wanted}`, timeoutMs },
  );
}
