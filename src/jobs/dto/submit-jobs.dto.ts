import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { SubmitJobDto } from './submit-job.dto';

export const BULK_MAX_JOBS = 1000;

export class SubmitJobsDto {
  @ApiProperty({ type: [SubmitJobDto], minItems: 1, maxItems: BULK_MAX_JOBS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BULK_MAX_JOBS)
  @ValidateNested({ each: true })
  @Type(() => SubmitJobDto)
  readonly jobs!: SubmitJobDto[];
}
