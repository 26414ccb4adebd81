import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { OPTIONAL_BODY } from '../../common/validation/optional-body';
import { PRIORITIES, Priority } from '../../queue/job-keys';

export const FINISHED_STATES = ['completed', 'failed', 'cancelled'] as const;
export type PurgeableState = (typeof FINISHED_STATES)[number];

/** Most jobs one retry-failed call re-queues (and its default). */
export const RETRY_FAILED_MAX = 100_000;

export class RetryFailedDto {
  /** The body may be omitted (see AppValidationPipe). */
  static readonly [OPTIONAL_BODY] = true;

  @ApiPropertyOptional({ example: 'send_email', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  readonly job_type?: string;

  @ApiPropertyOptional({ enum: PRIORITIES, example: 'high' })
  @IsOptional()
  @IsIn(PRIORITIES)
  readonly priority?: Priority;

  @ApiPropertyOptional({
    example: 1000,
    minimum: 1,
    maximum: RETRY_FAILED_MAX,
    description: `At most this many jobs (default ${RETRY_FAILED_MAX}), oldest first.`,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(RETRY_FAILED_MAX)
  readonly max?: number;
}

export class PurgeDto {
  @ApiProperty({ enum: FINISHED_STATES, example: 'completed' })
  @IsIn(FINISHED_STATES)
  readonly status!: PurgeableState;

  @ApiPropertyOptional({
    example: 3600,
    minimum: 0,
    description: 'Only jobs that finished at least this many seconds ago (default 0: all).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(315_360_000)
  readonly older_than_s?: number;
}

export class RetriedResponseDto {
  @ApiProperty({ example: 12 })
  readonly retried!: number;
}

export class DeletedResponseDto {
  @ApiProperty({ example: 15230 })
  readonly deleted!: number;
}
