import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsObject, IsString, MaxLength } from 'class-validator';
import { ValidateNestedBy } from '../../common/validation/validate-nested-by';
import { PRIORITIES, Priority } from '../../queue/job-keys';

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
}
