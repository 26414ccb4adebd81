import { ApiProperty } from '@nestjs/swagger';
import { JobStatusDto } from '../../jobs/dto/job-responses.dto';

export class JobListDto {
  @ApiProperty({ type: [JobStatusDto], description: 'Newest first by created_ts, ties by job_id.' })
  readonly jobs!: JobStatusDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'WzE3OTU4MjAwMjUxMjMsIjVKcmsuLi4iXQ',
    description:
      'Pass as `cursor` for the next page; null when nothing more matches. A page may hold fewer ' +
      'than `limit` jobs while more follow (a rare filter is searched a bounded slice at a time).',
  })
  readonly next_cursor!: string | null;
}

export class CancelledJobDto extends JobStatusDto {}

class PerPriorityCountDto {
  @ApiProperty({ example: 0 })
  readonly high!: number;

  @ApiProperty({ example: 12 })
  readonly low!: number;
}

class PerPriorityAgeDto {
  @ApiProperty({ type: Number, nullable: true, example: null })
  readonly high!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 0.84 })
  readonly low!: number | null;
}

class ThroughputDto {
  @ApiProperty({
    type: [Number],
    description:
      'Jobs completed in each of the last 60 minutes, oldest first, current minute last.',
    example: Array.from({ length: 60 }, () => 0),
  })
  readonly completed_per_min!: number[];

  @ApiProperty({
    type: [Number],
    description: 'Jobs that ended failed in each of the last 60 minutes, oldest first.',
    example: Array.from({ length: 60 }, () => 0),
  })
  readonly failed_per_min!: number[];
}

export class WorkerDto {
  @ApiProperty({ example: 'worker-1:1234:5f2c1a9b' })
  readonly id!: string;

  @ApiProperty({ example: 'worker-1' })
  readonly host!: string;

  @ApiProperty({ example: 1234 })
  readonly pid!: number;

  @ApiProperty({ example: 10 })
  readonly concurrency!: number;

  @ApiProperty({ example: 3, description: 'Attempts running at its last heartbeat.' })
  readonly active!: number;

  @ApiProperty({ example: 1795820025.23 })
  readonly started_ts!: number;

  @ApiProperty({ example: 1795820125.9 })
  readonly last_seen_ts!: number;
}

export class StatsDto {
  @ApiProperty({ type: PerPriorityCountDto, description: 'Ready to run now, per priority.' })
  readonly ready!: PerPriorityCountDto;

  @ApiProperty({ example: 3, description: 'Waiting for their run_at or a retry.' })
  readonly scheduled!: number;

  @ApiProperty({ example: 10 })
  readonly processing!: number;

  @ApiProperty({ example: 15230, description: 'Retained completed jobs.' })
  readonly completed!: number;

  @ApiProperty({ example: 4, description: 'Retained failed jobs.' })
  readonly failed!: number;

  @ApiProperty({ example: 1, description: 'Retained cancelled jobs.' })
  readonly cancelled!: number;

  @ApiProperty({
    type: PerPriorityAgeDto,
    description: 'Seconds the next job in line has been ready, per priority; null when none is.',
  })
  readonly oldest_ready_age_s!: PerPriorityAgeDto;

  @ApiProperty({ type: ThroughputDto })
  readonly throughput!: ThroughputDto;

  @ApiProperty({ type: [WorkerDto], description: 'Live worker processes.' })
  readonly workers!: WorkerDto[];
}
