import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { ValidateNestedBy } from '../../common/validation/validate-nested-by';
import { PRIORITIES, Priority } from '../../queue/job-keys';
import { IsNotGivenWith, IsNotTooFarAhead, IsRfc3339WithOffset } from './schedule.validators';

/** Longest delay_ms: 365 days. */
export const MAX_DELAY_MS = 31_536_000_000;

/** Resolver name of a job's payload DTO by its job_type (defined from the handler registry). */
export const JOB_PAYLOAD = 'job-payload';

/**
 * The envelope every job shares. The payload's own rules are those of the payload
 * DTO its job_type's handler declares (`@JobHandler({ type, payload })`); the OpenAPI
 * document lists them per type (a oneOf keyed by job_type).
 */
export class SubmitJobDto {
  @ApiProperty({
    example: 'send_email',
    description: 'Job type; a handler must exist for it.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  readonly job_type!: string;

  @ApiProperty({
    example: 'high',
    enum: PRIORITIES,
    description: 'high jobs always start before low ones.',
  })
  @IsIn(PRIORITIES)
  readonly priority!: Priority;

  @ApiProperty({
    type: Object,
    description: "Job-type specific: the payload schema of the job_type's handler.",
  })
  @IsObject()
  @ValidateNestedBy('job_type', JOB_PAYLOAD)
  readonly payload!: Record<string, unknown>;

  @ApiPropertyOptional({
    example: '2026-12-01T09:00:00Z',
    format: 'date-time',
    description:
      'Run no earlier than this time: RFC 3339 with an offset (Z or +hh:mm), at most 365 days ahead; ' +
      'a time in the past means now. Not together with delay_ms.',
  })
  @IsOptional()
  @IsRfc3339WithOffset()
  @IsNotTooFarAhead()
  @IsNotGivenWith('delay_ms')
  readonly run_at?: string;

  @ApiPropertyOptional({
    example: 60000,
    minimum: 0,
    maximum: MAX_DELAY_MS,
    description:
      'Run no earlier than this many milliseconds from now (0..365 days). Not together with run_at.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DELAY_MS)
  @IsNotGivenWith('run_at')
  readonly delay_ms?: number;
}
