import { Agent, Dispatcher, request } from 'undici';
import { PermanentJobError } from '../job-handler';
import { publicOnlyConnector, Resolver } from './webhook-connector';
import { responseFailure } from './webhook-response';
import { signingKey, signWebhook } from './webhook-signature';

/** One webhook request, as the handler prepared it from the payload. */
export interface WebhookDelivery {
  /** The job id: `webhook-id`, the same on every attempt, so receivers can drop repeats. */
  id: string;
  url: string;
  method: 'POST' | 'PUT';
  /** The payload's own headers (already validated). */
  headers: Record<string, string>;
  /** The JSON text to send, or undefined to send no body. */
  body: string | undefined;
  /** For the whole exchange: connecting, the request, the response headers and body. */
  timeoutMs: number;
}

export interface WebhookTransportOptions {
  /** `whsec_...`: sign every request; undefined = unsigned. */
  secret: string | undefined;
  /** Allow loopback, private and other non-public addresses. */
  allowPrivate: boolean;
  /** How host names are resolved (tests); the system resolver by default. */
  resolve?: Resolver;
  now?: () => number;
}

export const USER_AGENT = 'job-queue-webhook/1.0';
/** How much of an error response is read, to quote in `last_error`. */
const ERROR_BODY_BYTES = 4096;
/** A 2xx body up to this size is read to the end so the connection can be reused. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * Sends webhooks with undici over one keep-alive Agent. Unless private addresses
 * are allowed, the Agent connects through publicOnlyConnector, so the address
 * policy holds for the address actually connected to. Redirects are not followed:
 * undici's `request` follows none.
 */
export class WebhookTransport {
  private readonly agent: Agent;
  private readonly key: Buffer | undefined;
  private readonly now: () => number;

  constructor(options: WebhookTransportOptions) {
    this.agent = new Agent({
      connect: options.allowPrivate ? {} : publicOnlyConnector(options.resolve),
    });
    this.key = options.secret ? signingKey(options.secret) : undefined;
    this.now = options.now ?? Date.now;
  }

  get signs(): boolean {
    return this.key !== undefined;
  }

  /**
   * Sends one attempt. Resolves on a 2xx; throws PermanentJobError for what a retry
   * cannot fix (3xx, other 4xx, a refused address), RetryLaterError for a transient
   * status with Retry-After, and a plain Error for other transient failures.
   */
  async send(delivery: WebhookDelivery, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const timeout = AbortSignal.timeout(delivery.timeoutMs);
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let errorBody = '';
    try {
      const response = await request(delivery.url, {
        method: delivery.method,
        headers: this.headersFor(delivery),
        body: delivery.body,
        dispatcher: this.agent,
        signal: AbortSignal.any([signal, timeout]),
      });
      status = response.statusCode;
      headers = response.headers;
      if (status >= 200 && status < 300) {
        // Delivered: the status is what counts, whatever happens to the rest of the body.
        await response.body.dump({ limit: DRAIN_LIMIT_BYTES }).catch(() => undefined);
      } else {
        errorBody = await readStart(response.body, ERROR_BODY_BYTES);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw requestFailure(error, timeout.aborted ? delivery.timeoutMs : undefined);
    }
    const failure = responseFailure(status, headers, errorBody, this.now());
    if (failure) throw failure;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private headersFor(delivery: WebhookDelivery): Record<string, string> {
    const timestampS = Math.floor(this.now() / 1000);
    const own: Record<string, string> = {
      'user-agent': USER_AGENT,
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestampS),
    };
    if (delivery.body !== undefined) own['content-type'] = 'application/json';
    if (this.key) {
      own['webhook-signature'] = signWebhook(
        this.key,
        delivery.id,
        timestampS,
        delivery.body ?? '',
      );
    }
    // The payload's headers may replace User-Agent; the others are refused at submission.
    const given = new Set(Object.keys(delivery.headers).map((name) => name.toLowerCase()));
    for (const name of Object.keys(own)) if (given.has(name)) delete own[name];
    return { ...own, ...delivery.headers };
  }
}

/** The first `maxBytes` of a body, as text; the rest is discarded. */
async function readStart(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) break; // leaving the loop destroys the stream
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/** The innermost error with a code, following `cause` (fetch-style wrapping). */
function rootCause(error: unknown): { code?: string; message: string } {
  type Failure = { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  let current = error as Failure;
  for (let depth = 0; current?.cause && depth < 5; depth++) {
    if (current.code === 'WEBHOOK.ADDRESS_REFUSED') break;
    current = current.cause;
  }
  return {
    code: typeof current?.code === 'string' ? current.code : undefined,
    message: typeof current?.message === 'string' ? current.message : String(error),
  };
}

/** A failure before a status arrived: a refused address is permanent, the rest transient. */
function requestFailure(error: unknown, timedOutAfterMs: number | undefined): Error {
  if (timedOutAfterMs !== undefined) {
    return new Error(`webhook timed out after ${timedOutAfterMs} ms without a complete response`);
  }
  const { code, message } = rootCause(error);
  if (code === 'WEBHOOK.ADDRESS_REFUSED') return new PermanentJobError(message);
  return new Error(`webhook request failed: ${code ? `${code}: ` : ''}${message}`);
}
