import { Injectable } from '@nestjs/common';
import { JobMetrics } from '../metrics/job-metrics';
import { BulkOperations } from '../queue/bulk-operations';
import { JobError, JobErrorCode } from '../queue/job.errors';
import { JobListing } from '../queue/job-listing';
import { JobRepository } from '../queue/job.repository';
import { Replication } from '../queue/replication';
import { JobRecord } from '../queue/job.types';
import { QueueStats, QueueStatsSnapshot } from '../queue/queue-stats';
import { LIST_LIMIT, ListJobsQuery } from './dto/list-jobs.query';
import { PurgeableState, RETRY_FAILED_MAX, RetryFailedDto } from './dto/bulk.dto';
import { decodeCursor, encodeCursor } from './list-cursor';

export interface JobList {
  jobs: JobRecord[];
  next_cursor: string | null;
}

export type CancelResult =
  | { accepted: false; job: JobRecord }
  | { accepted: true; job: JobRecord & { cancel_requested: true } };

/** What an operator does with the queue: find, steer, count. */
@Injectable()
export class OperationsService {
  constructor(
    private readonly repository: JobRepository,
    private readonly listing: JobListing,
    private readonly bulk: BulkOperations,
    private readonly stats: QueueStats,
    private readonly metrics: JobMetrics,
    private readonly replication: Replication,
  ) {}

  async list(query: ListJobsQuery): Promise<JobList> {
    const page = await this.listing.list({
      status: query.status,
      priority: query.priority,
      jobType: query.job_type,
      to: query.to,
      limit: query.limit === undefined ? LIST_LIMIT.default : Number(query.limit),
      cursor: query.cursor === undefined ? undefined : (decodeCursor(query.cursor) ?? undefined),
    });
    return {
      jobs: page.jobs,
      next_cursor: page.nextCursor ? encodeCursor(page.nextCursor) : null,
    };
  }

  async find(jobId: string): Promise<JobRecord> {
    const job = await this.repository.find(jobId);
    if (!job) throw notFound(jobId);
    return job;
  }

  async cancel(jobId: string): Promise<CancelResult> {
    const outcome = await this.repository.cancel(jobId);
    if (outcome === 'not-found') throw notFound(jobId);
    if (outcome !== 'not-cancellable') await this.replication.confirm(`the cancel of job ${jobId}`);
    const job = await this.find(jobId);
    if (outcome === 'not-cancellable') {
      throw new JobError(
        JobErrorCode.NotCancellable,
        `job ${jobId} is ${job.status} and cannot be cancelled`,
      );
    }
    if (outcome === 'cancel-requested') {
      return { accepted: true, job: { ...job, cancel_requested: true } };
    }
    // A waiting job ends here; a running one ends in its worker, which counts it.
    this.metrics.finished(job.job_type, 'cancelled');
    return { accepted: false, job };
  }

  async retry(jobId: string): Promise<JobRecord> {
    const [code] = await this.repository.retry([jobId], { withCancelled: true });
    if (code === -1) throw notFound(jobId);
    if (code === 1) await this.replication.confirm(`the retry of job ${jobId}`);
    const job = await this.find(jobId);
    if (code === 0) {
      throw new JobError(
        JobErrorCode.NotRetryable,
        `job ${jobId} is ${job.status}: only failed or cancelled jobs can be retried`,
      );
    }
    return job;
  }

  async retryFailed(dto: RetryFailedDto): Promise<{ retried: number }> {
    const retried = await this.bulk.retryFailed(
      { jobType: dto.job_type, priority: dto.priority },
      dto.max ?? RETRY_FAILED_MAX,
    );
    return { retried };
  }

  async purge(state: PurgeableState, olderThanS = 0): Promise<{ deleted: number }> {
    return { deleted: await this.bulk.purge(state, olderThanS) };
  }

  snapshot(): Promise<QueueStatsSnapshot> {
    return this.stats.snapshot();
  }
}

function notFound(jobId: string): JobError {
  return new JobError(JobErrorCode.NotFound, `job ${jobId} not found`);
}
