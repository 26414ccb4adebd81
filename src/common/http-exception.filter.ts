import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { JobError, JobErrorCode } from '../queue/job.errors';
import { isRedisUnavailableError } from '../redis/redis-connection';

const JOB_ERROR_STATUS: Record<string, number> = {
  [JobErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [JobErrorCode.IdConflict]: HttpStatus.CONFLICT,
  [JobErrorCode.IdempotencyMismatch]: HttpStatus.CONFLICT,
  [JobErrorCode.NotCancellable]: HttpStatus.CONFLICT,
  [JobErrorCode.NotRetryable]: HttpStatus.CONFLICT,
};

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

function body(statusCode: number, message: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...extra };
}

/**
 * Turns every error into a JSON body of one shape. Internal details (stack
 * traces, Redis messages) are logged, never sent.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { statusCode, payload } = this.toResponse(exception);
    void reply
      .status(statusCode)
      .header('content-type', 'application/json; charset=utf-8')
      .send(payload);
  }

  private toResponse(exception: unknown): { statusCode: number; payload: ErrorBody } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null) {
        const r = response as Record<string, unknown>;
        const message = Array.isArray(r.message)
          ? r.message.join('; ')
          : typeof r.message === 'string'
            ? r.message
            : exception.message;
        return {
          statusCode: status,
          payload: body(status, message, r.errors ? { errors: r.errors } : {}),
        };
      }
      return { statusCode: status, payload: body(status, String(response)) };
    }
    if (exception instanceof JobError && JOB_ERROR_STATUS[exception.code]) {
      const status = JOB_ERROR_STATUS[exception.code];
      return {
        statusCode: status,
        payload: body(status, exception.message, { code: exception.code }),
      };
    }
    if (isRedisUnavailableError(exception)) {
      this.logger.warn(`Redis unavailable: ${(exception as Error).message}`);
      return { statusCode: 503, payload: body(503, 'The job store is unavailable; retry shortly') };
    }
    // Fastify's own client errors (bad JSON, wrong content type, body too large...).
    const fst = exception as { statusCode?: unknown; code?: unknown; message?: unknown };
    if (typeof fst.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
      const code = typeof fst.code === 'string' ? fst.code : undefined;
      return {
        statusCode: fst.statusCode,
        payload: body(
          fst.statusCode,
          typeof fst.message === 'string' ? fst.message : (STATUS_CODES[fst.statusCode] ?? 'Error'),
          code ? { code } : {},
        ),
      };
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return { statusCode: 500, payload: body(500, 'Internal server error') };
  }
}
