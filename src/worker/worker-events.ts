import { EventEmitter } from 'node:events';
import type { ClaimedJob, Recovered } from '../queue/job.types';

/** How one attempt ended, as the worker recorded it. */
export type AttemptOutcome =
  | 'success'
  | 'retry'
  | 'failed'
  | 'cancelled'
  /** The lease was lost or handed back: the attempt's result was discarded. */
  | 'discarded';

export interface AttemptSettled {
  job: ClaimedJob;
  outcome: AttemptOutcome;
  /** The handler's run time. */
  runMs: number;
  error?: string;
}

/** A job whose lease had expired, recovered by this worker (a stall of its previous worker). */
export interface RecoveredJob extends Recovered {
  type: string;
  /** Failed attempts before the stall (the stalled attempt was number retryCount + 1). */
  retryCount: number;
}

/**
 * What a worker process does, as typed events: metrics, logs and tests hang on
 * these instead of on log strings.
 */
export interface WorkerEventMap {
  /** The loop has nothing to claim and waits for a signal. */
  idle: [];
  /** An attempt started. */
  attempt: [job: ClaimedJob];
  /** An attempt's outcome was recorded (or discarded). */
  settled: [settled: AttemptSettled];
  /** Expired leases this worker recovered: requeued, or ended failed or cancelled. */
  recovered: [jobs: RecoveredJob[]];
}

export class WorkerEvents extends EventEmitter<WorkerEventMap> {}
