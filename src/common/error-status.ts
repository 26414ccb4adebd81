import { HttpStatus } from '@nestjs/common';
import { JobErrorCode } from '../queue/job.errors';

/**
 * The HTTP status of each domain error code, in one place: a domain error
 * (anything with a string `code` listed here) becomes this status with its own
 * message and code. Adding a code is one line.
 */
export const DOMAIN_ERROR_STATUS: Readonly<Record<string, HttpStatus>> = {
  [JobErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [JobErrorCode.IdConflict]: HttpStatus.CONFLICT,
  [JobErrorCode.IdempotencyMismatch]: HttpStatus.CONFLICT,
  [JobErrorCode.NotCancellable]: HttpStatus.CONFLICT,
  [JobErrorCode.NotRetryable]: HttpStatus.CONFLICT,
  [JobErrorCode.NotReplicated]: HttpStatus.SERVICE_UNAVAILABLE,
};
