/**
 * Domain errors carry a stable `code`: `instanceof` does not survive process
 * boundaries or duplicated module copies, a string does.
 */
export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

export const JobErrorCode = {
  NotFound: 'JOB.NOT_FOUND',
  IdConflict: 'JOB.ID_CONFLICT',
  IdempotencyMismatch: 'JOB.IDEMPOTENCY_KEY_REUSED',
  NotCancellable: 'JOB.NOT_CANCELLABLE',
  NotRetryable: 'JOB.NOT_RETRYABLE',
  /** REDIS_WAIT_REPLICAS: the write was not acknowledged by enough replicas in time. */
  NotReplicated: 'JOB.NOT_REPLICATED',
} as const;
