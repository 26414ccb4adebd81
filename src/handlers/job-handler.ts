import { DiscoveryService } from '@nestjs/core';

/** What a handler receives for one attempt of one job. */
export interface JobContext<P = unknown> {
  jobId: string;
  payload: P;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** Aborted when the worker loses the lease or gives up at shutdown. */
  signal: AbortSignal;
}

/**
 * One job type. Adding a type means writing a class that implements this, marking
 * it `@JobHandler({ type, payload })` and listing it in HandlersModule: the queue
 * core (repository, worker, controller) does not change.
 */
export interface JobHandlerImpl<P = unknown> {
  handle(context: JobContext<P>): Promise<void>;
}

export interface JobHandlerOptions {
  /** The `job_type` clients submit. */
  type: string;
  /** class-validator DTO the `payload` must satisfy. */
  payload: new () => object;
}

export const JobHandler = DiscoveryService.createDecorator<JobHandlerOptions>();

/** A failure that retrying cannot fix (an SMTP 5xx, a payload the handler rejects). */
export class PermanentJobError extends Error {
  readonly code = 'JOB.PERMANENT_FAILURE';

  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export function isPermanentJobError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'JOB.PERMANENT_FAILURE';
}

/**
 * A transient failure whose peer said when to come back (an HTTP `Retry-After`):
 * the retry waits at least `retryAfterMs`, or the backoff delay when that is longer.
 */
export class RetryLaterError extends Error {
  readonly code = 'JOB.RETRY_LATER';

  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** The wait a failure asks for before the next attempt: 0 unless it is a RetryLaterError. */
export function retryAfterMsOf(error: unknown): number {
  const candidate = error as { code?: unknown; retryAfterMs?: unknown } | null;
  if (candidate?.code !== 'JOB.RETRY_LATER') return 0;
  const ms = candidate.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}
