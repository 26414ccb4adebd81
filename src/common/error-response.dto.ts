import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_REPORTED_ERRORS } from './error-body';

export class FieldErrorDto {
  @ApiProperty({
    example: 'payload.to',
    description: 'The dotted path of the field (`jobs.3.priority`), or `body`, `url`, `request`.',
  })
  readonly field!: string;

  @ApiProperty({ example: 'payload.to must be a valid e-mail address (local@domain.tld)' })
  readonly message!: string;
}

/** Every error the API returns has this shape (error-body.ts builds it); a 400 adds `errors`. */
export class ErrorResponseDto {
  @ApiProperty({
    example: 404,
    type: 'integer',
    minimum: 400,
    maximum: 599,
    description: 'The HTTP status.',
  })
  readonly statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: 'The standard reason phrase of the status.' })
  readonly error!: string;

  @ApiProperty({ example: 'job 3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11 not found' })
  readonly message!: string;

  @ApiProperty({
    example: 'JOB.NOT_FOUND',
    pattern: '^[A-Z0-9_]+\\.[A-Z0-9_]+$',
    description:
      'Stable name of the error: JOB.NOT_FOUND, JOB.IDEMPOTENCY_KEY_REUSED, AUTH.UNAUTHORIZED, ' +
      'AUTH.FORBIDDEN, RATE_LIMIT.EXCEEDED, REQUEST.INVALID_FIELDS, REQUEST.INVALID_JSON, ...',
  })
  readonly code!: string;
}

/** A 400: the error shape with every invalid field named. */
export class InvalidRequestResponseDto extends ErrorResponseDto {
  @ApiProperty({
    type: [FieldErrorDto],
    minItems: 1,
    maxItems: MAX_REPORTED_ERRORS,
    description:
      `One entry per invalid field, at most ${MAX_REPORTED_ERRORS}. When the problem is not one ` +
      "field's (malformed JSON, an empty body, a bad URL), `field` says where: `body`, `url` or `request`.",
  })
  readonly errors!: FieldErrorDto[];

  @ApiPropertyOptional({
    example: 12,
    type: 'integer',
    minimum: 1,
    description: 'How many more invalid fields there were than `errors` lists.',
  })
  readonly omitted_errors?: number;
}
