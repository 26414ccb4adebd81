import type { Priority } from './job-keys';

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job as the status endpoint shows it: the hash's fields, typed. */
export interface JobRecord {
  job_id: string;
  job_type: string;
  priority: Priority;
  payload: unknown;
  status: JobStatus;
  retry_count: number;
  /** How many times a worker running it was lost (its lease expired). */
  stall_count: number;
  created_ts: number | null;
  picked_ts: number | null;
  completed_ts: number | null;
  /** When the next attempt may start (a run_at or a retry's backoff); null once finished. */
  available_after: number | null;
  last_error?: string;
  /** Set while a processing job's cancellation is under way. */
  cancel_requested?: boolean;
}

/** When a new job may first run. */
export type JobDue = { delayMs: number } | { atMs: number };

export interface NewJob {
  id: string;
  type: string;
  priority: Priority;
  /** Validated payload, already serialised to JSON. */
  payloadJson: string;
  /** Absent: ready now. */
  due?: JobDue;
  /** The address the job is for (`to` of an e-mail), for the recipient index. */
  recipient?: string;
}

/** A job a worker holds a lease on. */
export interface ClaimedJob {
  id: string;
  token: string;
  type: string;
  /** The payload, parsed. */
  payload: unknown;
  retryCount: number;
  priority: Priority;
  /** Epoch ms the attempt became due: its created time, run_at or retry time. */
  readySinceMs: number;
  /** Wait this long before starting the attempt: its reserved slot under a send rate (else 0). */
  startDelayMs: number;
}

export interface Lease {
  id: string;
  token: string;
}

/**
 * A lease with what the settle scripts need: for events, type and priority; for the
 * failed and cancelled indexes, the payload (whose recipient is part of the job's
 * index member, worked out only when a job leaves the hot path).
 */
export interface HeldLease extends Lease {
  type: string;
  priority: Priority;
  payload: unknown;
}

export interface ClaimResult {
  jobs: ClaimedJob[];
  /** Milliseconds until the earliest delayed job is due, or null if none waits. */
  nextDueInMs: number | null;
  /** Milliseconds until a rate-limited job type may start again, or null if none was held back. */
  throttledForMs: number | null;
}

export type FailOutcome = 'retry-scheduled' | 'failed' | 'cancelled' | 'lease-lost';

export interface Recovered {
  id: string;
  outcome: 'requeued' | 'failed' | 'cancelled';
  stallCount: number;
}

export type CancelOutcome = 'cancelled' | 'cancel-requested' | 'not-cancellable' | 'not-found';

/** A job type whose attempts start at most `limit` times per `windowMs`, evenly spaced, across all workers. */
export interface ClaimThrottle {
  type: string;
  limit: number;
  windowMs: number;
  /** How early a start may come after a late one (GCRA tolerance), ms. */
  toleranceMs: number;
  /** How far ahead one claim reserves start slots, ms. */
  horizonMs: number;
}
