import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsObject, IsString, MaxLength } from 'class-validator';
import { SendEmailPayloadDto } from '../../handlers/send-email/send-email-payload.dto';
import { PRIORITIES, Priority } from '../../queue/job-keys';

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
}
