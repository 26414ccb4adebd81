import {
  ArgumentMetadata,
  BadRequestException,
  Injectable,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { checkBodyShape } from './body-shape';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `payload.to` or `jobs.3.priority`. */
  field: string;
  message: string;
}

/** Flattens class-validator's tree into one entry per failed rule, each naming its field. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: nameField(message, error.property, field) });
    }
    // A loop, not push(...): a huge list of invalid items must not overflow the call.
    if (error.children?.length) {
      for (const child of flattenValidationErrors(error.children, field)) out.push(child);
    }
  }
  return out;
}

/**
 * class-validator words its messages from the property alone ("to must be ...",
 * "property cc should not exist"); name the whole path instead.
 */
function nameField(message: string, property: string, field: string): string {
  if (field === property) return message;
  if (message.startsWith(`${property} `)) return `${field}${message.slice(property.length)}`;
  const unknown = `property ${property} `;
  if (message.startsWith(unknown)) return `property ${field} ${message.slice(unknown.length)}`;
  return `${field}: ${message}`;
}

/** At most this many field errors are reported in one response. */
export const MAX_REPORTED_ERRORS = 50;

/** The one shape of every 400 the API sends for bad input. */
export function validationException(errors: FieldError[]): BadRequestException {
  const reported = errors.slice(0, MAX_REPORTED_ERRORS);
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: reported.map((e) => e.message).join('; '),
    errors: reported,
  });
}

/**
 * Global validation: unknown fields are rejected (not silently dropped), types are
 * never coerced, and a body that is not a JSON object, nests too deep or holds an
 * over-long array is refused before any (recursive) DTO logic sees it.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => validationException(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A route whose body is optional (POST /jobs/retry-failed) takes no body as `{}`.
    if (metadata.type === 'body' && value === undefined && isOptionalBody(metadata.metatype)) {
      value = {};
    }
    if (
      metadata.type === 'body' &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw validationException([{ field: 'body', message: 'body must be a JSON object' }]);
    }
    if (metadata.type === 'body') {
      const problem = checkBodyShape(value);
      if (problem) throw validationException([problem]);
    }
    return super.transform(value, metadata);
  }
}

/** Marks a body DTO class whose whole body may be omitted. */
export const OPTIONAL_BODY = Symbol('optionalBody');

function isOptionalBody(metatype: unknown): boolean {
  return typeof metatype === 'function' && OPTIONAL_BODY in metatype;
}
