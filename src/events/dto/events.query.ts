import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PRIORITIES, Priority } from '../../queue/job-keys';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET /events: optional filters; unknown parameters are refused. */
export class EventsQuery {
  @ApiPropertyOptional({ example: 'send_email', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  readonly job_type?: string;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @IsOptional()
  @IsIn(PRIORITIES)
  readonly priority?: Priority;

  @ApiPropertyOptional({ example: '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11', format: 'uuid' })
  @IsOptional()
  @Matches(UUID, { message: 'job_id must be a UUID' })
  readonly job_id?: string;
}
