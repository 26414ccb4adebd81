import { ApiResponse } from '@nestjs/swagger';
import type {
  HeadersObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorBody, errorBody, ErrorCode } from './error-body';
import { ErrorResponseDto, InvalidRequestResponseDto } from './error-response.dto';
import {
  BODY_TOO_LARGE_MESSAGE,
  SEND_JSON_MESSAGE,
  STORE_UNAVAILABLE_MESSAGE,
} from './http-exception.filter';
import { BODY_LIMIT_BYTES, URI_TOO_LONG_MESSAGE, URL_LIMIT_BYTES } from './http-limits';
import type { FieldError } from './validation/field-error';
import { JobErrorCode } from '../queue/job.errors';

/** An error response as the OpenAPI document shows it: when it happens, and one real body. */
export interface DocumentedError {
  description: string;
  code: string;
  /** The message; on a 400 that names `errors`, the API builds it from them. */
  message?: string;
  errors?: FieldError[];
  /** Headers the response always carries. */
  headers?: HeadersObject;
}

/** A 400 uses the shape whose `errors` is required; every other status the plain one. */
export function errorSchemaOf(status: number): typeof ErrorResponseDto {
  return status === 400 ? InvalidRequestResponseDto : ErrorResponseDto;
}

/** The example body, built by the same errorBody() the API answers with. */
function exampleOf(status: number, error: DocumentedError): ErrorBody {
  return errorBody(status, error.code, error.message ?? '', error.errors);
}

/** Documents an error response of a route (or of every route of a controller). */
export function ApiErrorResponse(
  status: number,
  error: DocumentedError,
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description: error.description,
    type: errorSchemaOf(status),
    example: exampleOf(status, error),
    ...(error.headers ? { headers: error.headers } : {}),
  });
}

/** The same response as a document fragment, for the ones docs.ts adds to every route concerned. */
export function errorResponseObject(status: number, error: DocumentedError): ResponseObject {
  return {
    description: error.description,
    ...(error.headers ? { headers: error.headers } : {}),
    content: {
      'application/json': {
        schema: { $ref: `#/components/schemas/${errorSchemaOf(status).name}` },
        example: exampleOf(status, error),
      },
    },
  };
}

/** A 400 naming invalid fields (`message` is then theirs, joined). */
export function invalidFieldsError(description: string, errors: FieldError[]): DocumentedError {
  return { description, code: ErrorCode.InvalidFields, errors };
}

export const STORE_UNAVAILABLE: DocumentedError = {
  description: 'Redis is unreachable; nothing was written. Retry later.',
  code: ErrorCode.StoreUnavailable,
  message: STORE_UNAVAILABLE_MESSAGE,
};

/**
 * A write a client relies on (submit, cancel, retry): Redis unreachable, or, with
 * REDIS_WAIT_REPLICAS set, not acknowledged by enough replicas in time.
 */
export const WRITE_NOT_REPLICATED: DocumentedError = {
  description:
    'Redis is unreachable and nothing was written (`STORE.UNAVAILABLE`); or, when the service ' +
    'requires replica acknowledgements (REDIS_WAIT_REPLICAS), the write was made on the primary ' +
    'but not enough replicas acknowledged it within REDIS_WAIT_TIMEOUT_MS (`JOB.NOT_REPLICATED`): ' +
    'it may still take effect (a submitted job may still run). Retry later; a submit retried ' +
    'with the same Idempotency-Key creates nothing twice.',
  code: JobErrorCode.NotReplicated,
  message:
    'job 3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11 was written, but 0 of the 1 replica(s) required ' +
    '(REDIS_WAIT_REPLICAS) acknowledged it within 500 ms: it may still take effect, or be lost ' +
    'if the primary fails now; retry with the same Idempotency-Key',
};

export const URI_TOO_LONG: DocumentedError = {
  description: `The URL (path and query) is longer than ${URL_LIMIT_BYTES / 1024} KiB.`,
  code: ErrorCode.UriTooLong,
  message: URI_TOO_LONG_MESSAGE,
};

export const BODY_TOO_LARGE: DocumentedError = {
  description: `The request body is larger than ${BODY_LIMIT_BYTES / 1024 / 1024} MiB.`,
  code: ErrorCode.BodyTooLarge,
  message: BODY_TOO_LARGE_MESSAGE,
};

export const UNSUPPORTED_MEDIA_TYPE: DocumentedError = {
  description: 'A body was sent with a Content-Type other than application/json.',
  code: ErrorCode.UnsupportedMediaType,
  message: SEND_JSON_MESSAGE,
};
