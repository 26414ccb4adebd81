import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'payload.to' })
  readonly field!: string;

  @ApiProperty({ example: 'payload.to must be a valid e-mail address (local@domain.tld)' })
  readonly message!: string;
}

/** Every error the API returns has this shape (framework errors add a `code`). */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  readonly statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  readonly error!: string;

  @ApiProperty({ example: 'payload.to must be a valid e-mail address (local@domain.tld)' })
  readonly message!: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'One entry per invalid field (400 only).',
  })
  readonly errors?: FieldErrorDto[];
}
