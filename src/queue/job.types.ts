import type { Priority } from './job-keys';

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job as the status endpoint shows it: the hash's fields, typed. */
export interface JobRecord {
  job_id: string;
  job_type: string;
  priority: Priority;
  payload: unknown;
  status: JobStatus;
  retry_count: number;
  created_ts: number | null;
  picked_ts: number | null;
  completed_ts: number | null;
  available_after: number | null;
  last_error?: string;
}

export interface NewJob {
  id: string;
  type: string;
  priority: Priority;
  /** Validated payload, already serialised to JSON. */
  payloadJson: string;
}

/** A job a worker holds a lease on. */
export interface ClaimedJob {
  id: string;
  token: string;
  type: string;
  payloadJson: string;
  retryCount: number;
  priority: Priority;
}

export interface Lease {
  id: string;
  token: string;
}

export interface ClaimResult {
  jobs: ClaimedJob[];
  /** Milliseconds until the earliest job in backoff is due, or null if none waits. */
  nextDueInMs: number | null;
}

export type FailOutcome = 'retry-scheduled' | 'failed' | 'lease-lost';
