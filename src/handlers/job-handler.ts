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
 * How long the job asks to wait before its next attempt (e.g. an HTTP 429's
 * Retry-After), or 0. The worker waits the longer of this and its backoff.
 */
export function retryAfterMs(error: unknown): number {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
