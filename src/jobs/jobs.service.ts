import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { createHash, randomUUID } from 'node:crypto';
import { FieldError, flattenValidationErrors, validationException } from '../common/validation';
import { JobHandlerRegistry } from '../handlers/job-handler.registry';
import { SubmitJobDto } from './dto/submit-job.dto';
import { JobRepository } from '../queue/job.repository';
import { JobError, JobErrorCode } from '../queue/job.errors';
import { JobDue, JobRecord, NewJob } from '../queue/job.types';
import { recipientOf } from '../queue/index-members';
import { parseRfc3339 } from './dto/schedule.validators';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_S = 24 * 60 * 60;

export interface IdempotencyOptions {
  key: string;
  /** Keys are scoped to the caller: two API keys may use the same idempotency key. */
  principal: string;
}

export interface SubmitResult {
  ids: string[];
  replayed: boolean;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

@Injectable()
export class JobsService {
  constructor(
    private readonly repository: JobRepository,
    private readonly handlers: JobHandlerRegistry,
  ) {}

  /**
   * Validates, then writes all jobs atomically. With an idempotency key, a repeat
   * of the same request returns the first request's ids (`replayed`).
   */
  async submit(
    dtos: SubmitJobDto[],
    listField: string,
    idempotency?: IdempotencyOptions,
  ): Promise<SubmitResult> {
    const jobs = this.prepare(dtos, listField);
    if (!idempotency) {
      await this.repository.submit(jobs);
      return { ids: jobs.map((job) => job.id), replayed: false };
    }
    return this.repository.submitOnce(jobs, {
      scope: sha256(`${idempotency.principal}\n${idempotency.key}`),
      fingerprint: sha256(`${listField}\n${canonicalJson(dtos)}`),
      ttlS: IDEMPOTENCY_TTL_S,
    });
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
        due: dueOf(dto),
        recipient: recipientOf(dto.payload),
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

/** When a job may first run: run_at (absolute) or delay_ms (from now, by Redis's clock). */
function dueOf(dto: SubmitJobDto): JobDue | undefined {
  if (dto.run_at !== undefined) {
    const atMs = parseRfc3339(dto.run_at);
    return atMs === null ? undefined : { atMs };
  }
  return dto.delay_ms ? { delayMs: dto.delay_ms } : undefined;
}
