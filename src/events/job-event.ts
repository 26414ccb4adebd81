/** The events the queue's scripts write to the `<prefix>:events` stream. */
export const JOB_EVENTS = [
  'submitted',
  'processing',
  'retry_scheduled',
  'completed',
  'failed',
  'cancelled',
  'stalled',
  'retried',
  'released',
] as const;
export type JobEventName = (typeof JOB_EVENTS)[number];

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** One stream entry, as SSE clients receive it in `data:`. */
export interface JobEvent {
  event: JobEventName;
  job_id: string;
  job_type: string;
  priority: string;
  /** Epoch seconds with millisecond precision. */
  ts: number;
  attempt?: number;
  available_after?: number;
  error?: string;
  stall_count?: number;
}

export interface StreamEntry {
  /** The stream entry id (`<ms>-<seq>`): SSE `id:`, and what Last-Event-ID resumes from. */
  id: string;
  event: JobEvent;
}

const NUMERIC = new Set(['ts', 'attempt', 'available_after', 'stall_count']);

/** A stream entry's flat field list as an event. */
export function toJobEvent(fields: string[]): JobEvent {
  const event: Record<string, string | number> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [name, value] = [fields[i], fields[i + 1]];
    event[name] = NUMERIC.has(name) ? Number(value) : value;
  }
  return event as unknown as JobEvent;
}

/** Stream ids compare as (ms, seq). */
export function streamIdAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}

export const STREAM_ID = /^\d{1,15}-\d{1,15}$/;
