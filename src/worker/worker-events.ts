import { EventEmitter } from 'node:events';
import type { ClaimedJob } from '../queue/job.types';

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
}

export class WorkerEvents extends EventEmitter<WorkerEventMap> {}
