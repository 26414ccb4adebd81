import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_REPORTED_ERRORS } from './error-body';

export class FieldErrorDto {
  @ApiProperty({ example: 'payload.to' })
  readonly field!: string;

  @ApiProperty({ example: 'payload.to must be a valid e-mail address (local@domain.tld)' })
  readonly message!: string;
}

/** Every error the API returns has this shape (error-body.ts builds it). */
export class ErrorResponseDto {
  @ApiProperty({ example: 400, description: 'The HTTP status.' })
  readonly statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'The standard reason phrase of the status.' })
  readonly error!: string;

  @ApiProperty({ example: 'payload.to must be a valid e-mail address (local@domain.tld)' })
  readonly message!: string;

  @ApiProperty({
    example: 'REQUEST.INVALID_FIELDS',
    description:
      'Stable name of the error: JOB.NOT_FOUND, JOB.IDEMPOTENCY_KEY_REUSED, AUTH.UNAUTHORIZED, ' +
      'AUTH.FORBIDDEN, RATE_LIMIT.EXCEEDED, REQUEST.INVALID_FIELDS, REQUEST.INVALID_JSON, ...',
  })
  readonly code!: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    maxItems: MAX_REPORTED_ERRORS,
    description: `Every 400: one entry per invalid field, at most ${MAX_REPORTED_ERRORS}.`,
  })
  readonly errors?: FieldErrorDto[];

  @ApiPropertyOptional({
    example: 12,
    type: 'integer',
    minimum: 1,
    description: 'How many more invalid fields there were than `errors` lists.',
  })
  readonly omitted_errors?: number;
}
