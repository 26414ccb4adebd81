import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { SubmitJobDto } from './dto/submit-job.dto';
import { JobMetrics } from '../metrics/job-metrics';
import { JobRepository } from '../queue/job.repository';
import { JobError, JobErrorCode } from '../queue/job.errors';
import { Replication } from '../queue/replication';
import { JobDue, JobRecord, JobStatus, NewJob } from '../queue/job.types';
import { recipientOf } from '../queue/index-members';
import { parseRfc3339 } from './dto/schedule.validators';

/** What a submit reports: a job's status, or `expired` for a replay whose job is gone. */
export type SubmittedStatus = JobStatus | 'expired';

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
    private readonly metrics: JobMetrics,
    private readonly replication: Replication,
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
    const jobs = this.prepare(dtos);
    if (!idempotency) {
      await this.repository.submit(jobs);
      this.metrics.submitted(jobs);
      await this.replication.confirm(jobsNamed(jobs.map((job) => job.id)));
      return { ids: jobs.map((job) => job.id), replayed: false };
    }
    const result = await this.repository.submitOnce(jobs, {
      scope: sha256(`${idempotency.principal}\n${idempotency.key}`),
      fingerprint: sha256(`${listField}\n${canonicalJson(dtos)}`),
      ttlS: IDEMPOTENCY_TTL_S,
    });
    if (!result.replayed) this.metrics.submitted(jobs);
    // A replay confirms too: the first answer may have been JOB.NOT_REPLICATED.
    await this.replication.confirm(jobsNamed(result.ids));
    return result;
  }

  async status(jobId: string): Promise<JobRecord> {
    const job = await this.repository.find(jobId);
    if (!job) throw new JobError(JobErrorCode.NotFound, `job ${jobId} not found`);
    return job;
  }

  /**
   * The status a submit answers: `pending` for a new job; for a replay, the job's
   * current status, or `expired` once its retention has passed.
   */
  async submittedStatus(jobId: string, replayed: boolean): Promise<SubmittedStatus> {
    if (!replayed) return 'pending';
    return (await this.repository.find(jobId))?.status ?? 'expired';
  }

  /** Bodies reach here validated (BodyValidationPipe), payloads included. */
  private prepare(dtos: SubmitJobDto[]): NewJob[] {
    return dtos.map((dto) => ({
      id: randomUUID(),
      type: dto.job_type,
      priority: dto.priority,
      payloadJson: JSON.stringify(dto.payload),
      due: dueOf(dto),
      recipient: recipientOf(dto.payload),
    }));
  }
}

function jobsNamed(ids: string[]): string {
  return ids.length === 1 ? `job ${ids[0]}` : `${ids.length} jobs (${ids[0]}, ...)`;
}

/** When a job may first run: run_at (absolute) or delay_ms (from now, by Redis's clock). */
function dueOf(dto: SubmitJobDto): JobDue | undefined {
  if (dto.run_at !== undefined) {
    const atMs = parseRfc3339(dto.run_at);
    return atMs === null ? undefined : { atMs };
  }
  return dto.delay_ms ? { delayMs: dto.delay_ms } : undefined;
}
