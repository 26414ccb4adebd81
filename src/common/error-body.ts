import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { FieldError } from './validation/field-error';

/** At most this many field errors are listed in one response; `omitted_errors` counts the rest. */
export const MAX_REPORTED_ERRORS = 100;

/** The one body of every error the API sends, whoever raises it. */
export interface ErrorBody {
  statusCode: number;
  /** The standard reason phrase of the status ("Bad Request", "URI Too Long"). */
  error: string;
  message: string;
  /** Stable machine-readable name: `JOB.NOT_FOUND`, `AUTH.FORBIDDEN`, `REQUEST.INVALID_JSON`... */
  code: string;
  /** Every 400: one entry per invalid field (at most MAX_REPORTED_ERRORS). */
  errors?: FieldError[];
  /** How many more invalid fields there were than `errors` lists. */
  omitted_errors?: number;
}

export function reasonPhrase(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}

/**
 * Builds an error body. A 400 always carries `errors`: when the problem is not one
 * field's (malformed JSON, an empty body, a bad URL), the message starts with where
 * it is (`body`, `url` or `request`), and that is its `field`.
 */
export function errorBody(
  statusCode: number,
  code: string,
  message: string,
  errors?: readonly FieldError[],
): ErrorBody {
  const body: ErrorBody = { statusCode, error: reasonPhrase(statusCode), message, code };
  if (statusCode === 400) {
    const field = /^(body|url|request)\b/.exec(message)?.[1] ?? 'request';
    const all = errors && errors.length > 0 ? errors : [{ field, message }];
    const reported = all.slice(0, MAX_REPORTED_ERRORS);
    body.errors = reported.map(({ field, message: text }) => ({ field, message: text }));
    if (errors && errors.length > 0) {
      const omitted = all.length - reported.length;
      body.message =
        reported.map((e) => e.message).join('; ') +
        (omitted > 0 ? `; and ${omitted} more invalid field${omitted === 1 ? '' : 's'}` : '');
      if (omitted > 0) body.omitted_errors = omitted;
    }
  }
  return body;
}

/** An error whose response body is already in the API's shape (the filter sends it as is). */
export class ApiError extends HttpException {
  constructor(
    readonly body: ErrorBody,
    readonly headers: Record<string, string | number> = {},
  ) {
    super(body, body.statusCode);
  }
}

export function apiError(
  statusCode: number,
  code: string,
  message: string,
  headers?: Record<string, string | number>,
): ApiError {
  return new ApiError(errorBody(statusCode, code, message), headers);
}

/** A 400 naming every invalid field. */
export function invalidFields(errors: readonly FieldError[]): ApiError {
  return new ApiError(errorBody(400, ErrorCode.InvalidFields, '', errors));
}

/** Codes of the errors the HTTP layer itself raises (domain codes live with their domain). */
export const ErrorCode = {
  InvalidFields: 'REQUEST.INVALID_FIELDS',
  InvalidJson: 'REQUEST.INVALID_JSON',
  EmptyBody: 'REQUEST.EMPTY_BODY',
  InvalidUtf8: 'REQUEST.INVALID_UTF8',
  InvalidUrl: 'REQUEST.INVALID_URL',
  BodyTooLarge: 'REQUEST.BODY_TOO_LARGE',
  UnsupportedMediaType: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  UriTooLong: 'REQUEST.URI_TOO_LONG',
  HeadersTooLarge: 'REQUEST.HEADERS_TOO_LARGE',
  BadRequest: 'REQUEST.BAD_REQUEST',
  RouteNotFound: 'ROUTE.NOT_FOUND',
  MethodNotAllowed: 'ROUTE.METHOD_NOT_ALLOWED',
  Unauthorized: 'AUTH.UNAUTHORIZED',
  Forbidden: 'AUTH.FORBIDDEN',
  RateLimited: 'RATE_LIMIT.EXCEEDED',
  StoreUnavailable: 'STORE.UNAVAILABLE',
  ShuttingDown: 'SERVER.SHUTTING_DOWN',
  Internal: 'SERVER.INTERNAL',
} as const;
