import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { FieldError, flattenValidationErrors, validationException } from '../common/validation';
import { JobHandlerRegistry } from '../handlers/job-handler.registry';
import { SubmitJobDto } from './dto/submit-job.dto';
import { JobRepository } from './job.repository';
import { JobError, JobErrorCode } from './jobs.errors';
import { JobRecord, NewJob } from './job.types';

@Injectable()
export class JobsService {
  constructor(
    private readonly repository: JobRepository,
    private readonly handlers: JobHandlerRegistry,
  ) {}

  async submit(dto: SubmitJobDto): Promise<string> {
    const [job] = this.prepare([dto], '');
    await this.repository.submit([job]);
    return job.id;
  }

  /** All jobs are validated before any is written; then all are written atomically. */
  async submitMany(dtos: SubmitJobDto[]): Promise<string[]> {
    const jobs = this.prepare(dtos, 'jobs');
    await this.repository.submit(jobs);
    return jobs.map((job) => job.id);
  }

  async status(jobId: string): Promise<JobRecord> {
    const job = await this.repository.find(jobId);
    if (!job) throw new JobError(JobErrorCode.NotFound, `job ${jobId} not found`);
    return job;
  }

  private prepare(dtos: SubmitJobDto[], listField: string): NewJob[] {
    const errors: FieldError[] = [];
    const jobs = dtos.map((dto, index) => {
      const prefix = listField ? `${listField}.${index}.` : '';
      errors.push(...this.validatePayload(dto, prefix));
      return {
        id: randomUUID(),
        type: dto.job_type,
        priority: dto.priority,
        payloadJson: JSON.stringify(dto.payload),
      };
    });
    if (errors.length > 0) throw validationException(errors);
    return jobs;
  }

  private validatePayload(dto: SubmitJobDto, prefix: string): FieldError[] {
    const handler = this.handlers.get(dto.job_type);
    if (!handler) {
      return [
        {
          field: `${prefix}job_type`,
          message: `${prefix}job_type must be one of the following values: ${this.handlers.types.join(', ')}`,
        },
      ];
    }
    const payload = plainToInstance(handler.payload, dto.payload);
    const errors = validateSync(payload, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
    });
    return flattenValidationErrors(errors, `${prefix}payload`);
  }
}
