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
