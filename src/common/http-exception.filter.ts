import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRedisUnavailableError } from '../redis/redis-connection';
import { ApiError, ErrorBody, errorBody, ErrorCode, reasonPhrase } from './error-body';
import { DOMAIN_ERROR_STATUS } from './error-status';
import { BODY_LIMIT_BYTES } from './http-limits';

export const SEND_JSON_MESSAGE =
  'Send the body as JSON with the header Content-Type: application/json';
export const BODY_TOO_LARGE_MESSAGE = `Request body is larger than ${BODY_LIMIT_BYTES / 1024 / 1024} MiB`;
export const STORE_UNAVAILABLE_MESSAGE = 'The job store is unavailable; retry shortly';

/**
 * Errors Fastify raises itself (wrapped by Nest into a plain HttpException that keeps
 * only the status and Fastify's message, which may quote the URL or the body): a fixed
 * message and our code per status. Every error this service raises is an ApiError.
 */
const FRAMEWORK_STATUS: Record<number, [string, string]> = {
  400: [ErrorCode.BadRequest, 'request is not valid'],
  404: [ErrorCode.RouteNotFound, 'No route matches this method and path'],
  405: [ErrorCode.MethodNotAllowed, 'Method not allowed on this path'],
  413: [ErrorCode.BodyTooLarge, BODY_TOO_LARGE_MESSAGE],
  415: [ErrorCode.UnsupportedMediaType, SEND_JSON_MESSAGE],
};

/** Fastify's own errors, by their code (where they still carry it). */
const FRAMEWORK_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, ErrorCode.UnsupportedMediaType, SEND_JSON_MESSAGE],
  FST_ERR_CTP_INVALID_TYPE: [415, ErrorCode.UnsupportedMediaType, SEND_JSON_MESSAGE],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, ...FRAMEWORK_STATUS[413]],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    400,
    ErrorCode.EmptyBody,
    'body is empty: send a JSON object (Content-Type: application/json)',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    ErrorCode.BadRequest,
    'body does not match its Content-Length',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, ErrorCode.InvalidJson, 'body is not valid JSON'],
  FST_ERR_BAD_URL: [400, ErrorCode.InvalidUrl, 'url is not valid: bad percent-encoding'],
  FST_ERR_ASYNC_CONSTRAINT: [400, ErrorCode.BadRequest, 'request is not valid'],
};

/**
 * Turns every error into a JSON body of one shape (error-body.ts). Internal details
 * (stack traces, Redis messages, the request's own URL or body) are logged or
 * dropped, never sent.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, http.getRequest<FastifyRequest | undefined>()?.id);
    if (exception instanceof ApiError) void reply.headers(exception.headers);
    void reply
      .status(body.statusCode)
      .header('content-type', 'application/json; charset=utf-8')
      .send(body);
  }

  /** `requestId` goes on the lines logged about the error. */
  toBody(exception: unknown, requestId?: string): ErrorBody {
    if (exception instanceof ApiError) return exception.body;
    const code = (exception as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && DOMAIN_ERROR_STATUS[code] !== undefined) {
      return errorBody(DOMAIN_ERROR_STATUS[code], code, (exception as Error).message);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const [name, text] = FRAMEWORK_STATUS[status] ?? [
        status < 500 ? ErrorCode.BadRequest : ErrorCode.Internal,
        reasonPhrase(status),
      ];
      return errorBody(status, name, text);
    }
    if (isRedisUnavailableError(exception)) {
      this.logger.warn(
        { request_id: requestId },
        `Redis unavailable: ${(exception as Error).message}`,
      );
      return errorBody(503, ErrorCode.StoreUnavailable, STORE_UNAVAILABLE_MESSAGE);
    }
    const framework = frameworkError(exception);
    if (framework) return framework;
    this.logger.error(
      { request_id: requestId },
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return errorBody(500, ErrorCode.Internal, 'Internal server error');
  }
}

/** Fastify's own client errors (bad JSON, wrong content type, body too large...), or null. */
export function frameworkError(exception: unknown): ErrorBody | null {
  const e = exception as { statusCode?: unknown; code?: unknown; name?: unknown } | null;
  const status = e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const known = FRAMEWORK_CODES[code];
  if (known) return fieldOf(errorBody(...known));
  // Our own parser errors carry a REQUEST.* code and a message of ours.
  if (code.startsWith('REQUEST.')) return errorBody(status, code, String((e as Error).message));
  if (status === 400 && (e?.name === 'SyntaxError' || exception instanceof SyntaxError)) {
    // JSON.parse's message quotes the body: a fixed message instead.
    const proto = /prototype/i.test(String((e as Error).message));
    return errorBody(
      400,
      ErrorCode.InvalidJson,
      proto
        ? 'body contains a forbidden key (__proto__ or constructor.prototype)'
        : 'body is not valid JSON',
    );
  }
  return errorBody(
    status,
    ErrorCode.BadRequest,
    status === 400 ? 'request is not valid' : reasonPhrase(status),
  );
}

/** A URL error names `url`, not `body`. */
function fieldOf(body: ErrorBody): ErrorBody {
  if (body.code === ErrorCode.InvalidUrl) body.errors = [{ field: 'url', message: body.message }];
  return body;
}
