import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import type { ClaimedJob } from '../queue/job.types';
import type { AttemptOutcome, AttemptSettled, RecoveredJob } from '../worker/worker-events';

/** Seconds from due to pick-up: a busy queue's lag reaches minutes before it is a problem. */
const WAIT_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];
/** One attempt: an e-mail takes milliseconds to seconds; the attempt timeout is 5 min by default. */
const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export type FinishedStatus = 'completed' | 'failed' | 'cancelled';

/** An attempt's outcome as the metrics name it (attempts_total's `outcome`). */
const ATTEMPT_OUTCOME: Record<AttemptOutcome, string> = {
  success: 'success',
  retry: 'retry',
  failed: 'failed',
  cancelled: 'cancelled',
  // The lease was lost (the job runs again elsewhere) or handed back at shutdown.
  discarded: 'discarded',
};

const FINISHED_BY: Partial<Record<AttemptOutcome, FinishedStatus>> = {
  success: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * What this process saw happen to jobs, as Prometheus counters and histograms. Each
 * recording is in memory only (no Redis command); counters are per process, summed
 * across processes by Prometheus.
 */
@Injectable()
export class JobMetrics {
  private readonly submittedTotal: Counter<'job_type' | 'priority'>;
  private readonly finishedTotal: Counter<'job_type' | 'status'>;
  private readonly attemptsTotal: Counter<'job_type' | 'outcome'>;
  private readonly waitSeconds: Histogram<'job_type' | 'priority'>;
  private readonly runSeconds: Histogram<'job_type' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.submittedTotal = new Counter({
      name: 'jobq_jobs_submitted_total',
      help: 'Jobs accepted by this API process (idempotent replays not counted).',
      labelNames: ['job_type', 'priority'],
      registers,
    });
    this.finishedTotal = new Counter({
      name: 'jobq_jobs_finished_total',
      help: 'Jobs that reached a final status in this process (its worker, or a cancel of a waiting job).',
      labelNames: ['job_type', 'status'],
      registers,
    });
    this.attemptsTotal = new Counter({
      name: 'jobq_attempts_total',
      help: "Attempts ended in this process: success, retry, failed, cancelled, discarded (lease lost or handed back), stalled (a lost worker's attempt, recovered here).",
      labelNames: ['job_type', 'outcome'],
      registers,
    });
    this.waitSeconds = new Histogram({
      name: 'jobq_job_wait_seconds',
      help: 'Time from a job being due (created, run_at or retry due) to a worker picking it up.',
      labelNames: ['job_type', 'priority'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.runSeconds = new Histogram({
      name: 'jobq_job_run_seconds',
      help: "One attempt's run time, by how it ended.",
      labelNames: ['job_type', 'outcome'],
      buckets: RUN_BUCKETS,
      registers,
    });
  }

  /** New jobs, counted once per (type, priority) pair however large the batch. */
  submitted(jobs: readonly { type: string; priority: string }[]): void {
    const counts = new Map<string, { job_type: string; priority: string; n: number }>();
    for (const { type, priority } of jobs) {
      const key = `${type}\n${priority}`;
      const entry = counts.get(key);
      if (entry) entry.n += 1;
      else counts.set(key, { job_type: type, priority, n: 1 });
    }
    for (const { job_type, priority, n } of counts.values()) {
      this.submittedTotal.inc({ job_type, priority }, n);
    }
  }

  finished(jobType: string, status: FinishedStatus): void {
    this.finishedTotal.inc({ job_type: jobType, status });
  }

  /** A worker picked the job: how long it had been due. */
  picked(job: ClaimedJob, nowMs = Date.now()): void {
    // readySinceMs is Redis's clock: a host clock behind it must not give a negative wait.
    const waitS = Math.max(0, nowMs - job.readySinceMs) / 1000;
    this.waitSeconds.observe({ job_type: job.type, priority: job.priority }, waitS);
  }

  settled({ job, outcome, runMs }: AttemptSettled): void {
    const label = ATTEMPT_OUTCOME[outcome];
    this.attemptsTotal.inc({ job_type: job.type, outcome: label });
    this.runSeconds.observe({ job_type: job.type, outcome: label }, runMs / 1000);
    const status = FINISHED_BY[outcome];
    if (status) this.finished(job.type, status);
  }

  /** Expired leases recovered by this process: each a stalled attempt, some a finished job. */
  recovered(jobs: readonly RecoveredJob[]): void {
    for (const job of jobs) {
      this.attemptsTotal.inc({ job_type: job.type, outcome: 'stalled' });
      if (job.outcome !== 'requeued') this.finished(job.type, job.outcome);
    }
  }
}
