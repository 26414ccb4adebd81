import { JOB_EVENTS as JOB_EVENT_NAMES, type JobEventName } from '../../events/job-event';

/** The API's shapes, as the dashboard reads them. */

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const PRIORITIES = ['high', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const FINISHED_STATES = ['completed', 'failed', 'cancelled'] as const;
export type FinishedState = (typeof FINISHED_STATES)[number];

export interface Job {
  job_id: string;
  job_type: string;
  priority: Priority;
  payload: unknown;
  status: JobStatus;
  retry_count: number;
  stall_count?: number;
  created_ts: number | null;
  picked_ts: number | null;
  completed_ts: number | null;
  available_after: number | null;
  last_error?: string;
  cancel_requested?: boolean;
  [field: string]: unknown;
}

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  active: number;
  started_ts: number;
  last_seen_ts: number;
}

export interface Stats {
  ready: Record<Priority, number>;
  scheduled: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
  oldest_ready_age_s: Record<Priority, number | null>;
  throughput: { completed_per_min: number[]; failed_per_min: number[] };
  workers: WorkerInfo[];
}

// The stream's event names come from the server's one list (a plain module, bundled in).
export { JOB_EVENT_NAMES, type JobEventName };

/** One message of GET /events and GET /jobs/{id}/events (`ts` and `available_after`: epoch seconds). */
export interface JobEvent {
  /** The stream entry id (the SSE `id:`), when the server sent one. */
  id?: string;
  event: JobEventName;
  job_id: string;
  job_type: string;
  priority: Priority;
  ts: number;
  attempt?: number;
  available_after?: number;
  error?: string;
  stall_count?: number;
}

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export function isJobEvent(value: unknown): value is JobEvent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.event === 'string' &&
    (JOB_EVENT_NAMES as readonly string[]).includes(v.event) &&
    typeof v.job_id === 'string' &&
    typeof v.ts === 'number'
  );
}
