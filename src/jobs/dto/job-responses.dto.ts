import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PRIORITIES, Priority } from '../../queue/job-keys';
import { JOB_STATUSES, JobStatus } from '../../queue/job.types';

export class SubmitJobResponseDto {
  @ApiProperty({ example: '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11', format: 'uuid' })
  readonly job_id!: string;

  @ApiProperty({
    example: 'pending',
    enum: [...JOB_STATUSES, 'expired'],
    description:
      "`pending` for a new job. For a repeat with the same Idempotency-Key (200): the job's " +
      'current status, or `expired` once its retention period has passed.',
  })
  readonly status!: JobStatus | 'expired';
}

export class SubmitJobsResponseDto {
  @ApiProperty({
    type: [String],
    example: ['3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11', '9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c5d'],
    description: 'One id per submitted job, in request order.',
  })
  readonly job_ids!: string[];
}

const TS = 'Unix epoch seconds with millisecond precision, or null when unset.';

export class JobStatusDto {
  @ApiProperty({ example: '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11', format: 'uuid' })
  readonly job_id!: string;

  @ApiProperty({ example: 'send_email' })
  readonly job_type!: string;

  @ApiProperty({ example: 'high', enum: PRIORITIES })
  readonly priority!: Priority;

  @ApiProperty({ example: { to: 'alice@example.com', subject: 'Welcome aboard' }, type: Object })
  readonly payload!: unknown;

  @ApiProperty({ example: 'completed', enum: JOB_STATUSES })
  readonly status!: JobStatus;

  @ApiProperty({ example: 0, description: 'Failed attempts so far (at most JOB_MAX_RETRIES).' })
  readonly retry_count!: number;

  @ApiProperty({
    example: 0,
    description:
      'How many times a worker running the job was lost (its lease expired); past JOB_MAX_STALLS the job fails.',
  })
  readonly stall_count!: number;

  @ApiProperty({ example: 1732745000.123, type: Number, nullable: true, description: TS })
  readonly created_ts!: number | null;

  @ApiProperty({
    example: 1732745000.125,
    type: Number,
    nullable: true,
    description: `Last pick-up. ${TS}`,
  })
  readonly picked_ts!: number | null;

  @ApiProperty({ example: 1732745002.131, type: Number, nullable: true, description: TS })
  readonly completed_ts!: number | null;

  @ApiProperty({
    example: null,
    type: Number,
    nullable: true,
    description: `Earliest time of the next attempt (its run_at, or a retry's backoff); null once finished. ${TS}`,
  })
  readonly available_after!: number | null;

  @ApiPropertyOptional({
    example: 'SMTP 451: 4.3.0 try again later',
    description: 'Reason of the last failed attempt.',
  })
  readonly last_error?: string;

  @ApiPropertyOptional({
    example: true,
    description:
      'Present while a processing job is being cancelled (POST /jobs/{job_id}/cancel answered 202).',
  })
  readonly cancel_requested?: boolean;
}
