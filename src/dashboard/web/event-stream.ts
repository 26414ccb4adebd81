import { SseParser, SseMessage } from './sse-parser';

export type StreamState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'retrying'; inMs: number; reason: string }
  /** The server refused the stream (a 4xx): reconnecting would not help. */
  | { state: 'refused'; status: number; code: string | undefined }
  /** The stream ended and `reconnectOnEnd` said not to reconnect, or close() was called. */
  | { state: 'closed' };

export interface EventStreamOptions {
  url: string;
  /** Request headers (the API key), read at every (re)connection. */
  headers?: () => Record<string, string>;
  onMessage(message: SseMessage): void;
  onState?(state: StreamState): void;
  /** After the server ends a stream normally: reconnect? (default: yes). */
  reconnectOnEnd?: () => boolean;
  /** Last-Event-ID for the first request, to resume from a known point. */
  lastEventId?: string;
  /** First reconnection delay; doubled after each failure (with jitter) up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * A stream silent for this long is dead (the server sends a comment every 15 s):
   * it is dropped and reopened.
   */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface EventStream {
  close(): void;
  readonly lastEventId: string | undefined;
}

/** A 4xx other than these means the request itself is wrong: retrying will not help. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

async function errorCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a Server-Sent Events stream with fetch, so the API key travels in a header (an
 * EventSource cannot send one, and a key in the URL ends up in logs). Reconnects with
 * Last-Event-ID after a drop, with exponential backoff and jitter; stops on a 4xx
 * (404: no such stream, 401/403: the key).
 */
export function openEventStream(options: EventStreamOptions): EventStream {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const random = options.random ?? Math.random;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  let lastEventId = options.lastEventId;
  let closed = false;
  let failures = 0;
  let controller: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let serverRetryMs: number | undefined;

  const report = (state: StreamState): void => options.onState?.(state);

  const scheduleRetry = (reason: string): void => {
    if (closed) return;
    const base = serverRetryMs ?? initialBackoffMs;
    const ceiling = Math.min(maxBackoffMs, base * 2 ** failures);
    const inMs = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    failures += 1;
    report({ state: 'retrying', inMs, reason });
    retryTimer = setTimeout(() => void connect(), inMs);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    report({ state: 'connecting' });
    const abort = new AbortController();
    controller = abort;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let idle = false;
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        idle = true;
        abort.abort();
      }, idleTimeoutMs);
    };
    try {
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        ...(options.headers?.() ?? {}),
      };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      touch();
      const response = await doFetch(options.url, {
        headers,
        signal: abort.signal,
        cache: 'no-store',
      });
      if (!response.ok) {
        const code = await errorCode(response);
        clearTimeout(idleTimer);
        if (
          response.status >= 400 &&
          response.status < 500 &&
          !RETRYABLE_4XX.has(response.status)
        ) {
          closed = true;
          report({ state: 'refused', status: response.status, code });
        } else {
          scheduleRetry(`HTTP ${response.status}`);
        }
        return;
      }
      if (!response.body) throw new Error('the response has no body');
      report({ state: 'open' });
      const parser = new SseParser((message) => {
        if (message.id !== undefined) lastEventId = message.id;
        options.onMessage(message);
      }, lastEventId);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        touch();
        // Bytes arrived: the connection works, so the next drop starts the backoff anew.
        failures = 0;
        parser.push(decoder.decode(value, { stream: true }));
        serverRetryMs = parser.retryMs ?? serverRetryMs;
        if (closed) return;
      }
      parser.push(decoder.decode());
      clearTimeout(idleTimer);
      if (closed) return;
      if (options.reconnectOnEnd && !options.reconnectOnEnd()) {
        closed = true;
        report({ state: 'closed' });
        return;
      }
      scheduleRetry('the stream ended');
    } catch (error) {
      clearTimeout(idleTimer);
      if (closed) return;
      scheduleRetry(idle ? 'no data for too long' : String((error as Error)?.message ?? error));
    }
  };

  void connect();

  return {
    close(): void {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      controller?.abort();
      report({ state: 'closed' });
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
