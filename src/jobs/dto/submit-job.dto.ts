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
import { SendEmailPayloadDto } from '../../handlers/send-email/send-email-payload.dto';
import { PRIORITIES, Priority } from '../../queue/job-keys';
import { IsNotGivenWith, IsNotTooFarAhead, IsRfc3339WithOffset } from './schedule.validators';

/** Longest delay_ms: 365 days. */
export const MAX_DELAY_MS = 31_536_000_000;

/**
 * The envelope every job shares. The payload's own rules depend on job_type and
 * are checked against that type's handler DTO (JobsService.validatePayload).
 */
export class SubmitJobDto {
  @ApiProperty({
    example: 'send_email',
    description: 'Job type; a handler must exist for it.',
    enum: ['send_email'],
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
    type: SendEmailPayloadDto,
    description: 'Job-type specific; for send_email as shown.',
  })
  @IsObject()
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
