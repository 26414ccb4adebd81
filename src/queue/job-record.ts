import type { Priority } from './job-keys';
import type { JobRecord, JobStatus } from './job.types';

function toTimestamp(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** A stored payload, parsed; shown as it is when something other than this service wrote it. */
export function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A job hash's fields as the API shows them (the lease token stays internal). */
export function toJobRecord(f: Record<string, string>): JobRecord {
  const status = f.status as JobStatus;
  const finished = status === 'completed' || status === 'failed' || status === 'cancelled';
  const record: JobRecord = {
    job_id: f.job_id,
    job_type: f.job_type,
    priority: f.priority as Priority,
    payload: parsePayload(f.payload),
    status,
    retry_count: Number(f.retry_count ?? 0),
    stall_count: Number(f.stall_count ?? 0),
    created_ts: toTimestamp(f.created_ts),
    picked_ts: toTimestamp(f.picked_ts),
    completed_ts: toTimestamp(f.completed_ts),
    // "The next attempt may start at": nothing once the job is finished (hashes
    // written before this rule may still hold the last retry's time).
    available_after: finished ? null : toTimestamp(f.available_after),
  };
  if (f.last_error) record.last_error = f.last_error;
  if (f.cancel_requested === '1' && status === 'processing') record.cancel_requested = true;
  return record;
}

/** The job's place in the listing order: created time in ms. */
export function createdMs(record: Pick<JobRecord, 'created_ts'>): number {
  return Math.round((record.created_ts ?? 0) * 1000);
}
