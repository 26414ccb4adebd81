import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidationArguments,
} from 'class-validator';
import { PRIORITIES, Priority } from '../../queue/job-keys';
import { JOB_STATUSES, JobStatus } from '../../queue/job.types';
import { decodeCursor } from '../list-cursor';

export const LIST_LIMIT = { min: 1, max: 500, default: 50 } as const;

/** 1 to 500, digits only (query values arrive as strings). */
const LIMIT_PATTERN = /^(?:[1-9]\d?|[1-4]\d{2}|500)$/;

function IsListCursor(): PropertyDecorator {
  return ValidateBy({
    name: 'isListCursor',
    validator: {
      validate: (value) => typeof value === 'string' && decodeCursor(value) !== null,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property} must be a next_cursor returned by GET /jobs`,
    },
  });
}

/** GET /jobs: every parameter optional; unknown ones are refused. Query values arrive as strings. */
export class ListJobsQuery {
  @ApiPropertyOptional({ enum: JOB_STATUSES, example: 'failed' })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  readonly status?: JobStatus;

  @ApiPropertyOptional({ enum: PRIORITIES, example: 'high' })
  @IsOptional()
  @IsIn(PRIORITIES)
  readonly priority?: Priority;

  @ApiPropertyOptional({ example: 'send_email', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  readonly job_type?: string;

  @ApiPropertyOptional({
    example: 'alice@example.com',
    maxLength: 254,
    description: "Recipient address (the payload's `to`), exact match, case-insensitive.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  readonly to?: string;

  @ApiPropertyOptional({
    example: '50',
    description: `Jobs per page, ${LIST_LIMIT.min}..${LIST_LIMIT.max} (default ${LIST_LIMIT.default}).`,
    pattern: LIMIT_PATTERN.source,
  })
  @IsOptional()
  @Matches(LIMIT_PATTERN, {
    message: `limit must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}`,
  })
  readonly limit?: string;

  @ApiPropertyOptional({
    example: 'WzE3OTU4MjAwMjUxMjMsIjVKcmsuLi4iXQ',
    description: 'next_cursor of the previous page (opaque).',
  })
  @IsOptional()
  @IsListCursor()
  readonly cursor?: string;
}
