import type { JobRecord } from '../queue/job.types';
import type { QueueStatsSnapshot } from '../queue/queue-stats';

/**
 * What people read: aligned columns, times as ISO 8601 (UTC) with how long ago they
 * were. Pure functions of their input and `now` (epoch seconds), so they are tested
 * without a clock. Scripts use --json instead, never this text.
 */

export type Align = 'left' | 'right';

/** Rows of cells in aligned columns two spaces apart; the last column is not padded. */
export function columns(rows: string[][], align: Align[] = []): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          if (align[i] === 'right') return cell.padStart(widths[i]);
          return i === row.length - 1 ? cell : cell.padEnd(widths[i]);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function table(header: string[], rows: string[][], align: Align[] = []): string {
  return columns([header, ...rows], align);
}

/** One line, at most `max` characters ("..." marks a cut). */
export function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, Math.max(0, max - 3))}...`;
}

/** Epoch seconds as ISO 8601 in UTC, with milliseconds. */
export function isoTime(ts: number): string {
  return new Date(Math.round(ts * 1000)).toISOString();
}

const two = (n: number) => String(n).padStart(2, '0');

/** A span in the unit people read it in: 850ms, 3.2s, 5m 03s, 2h 05m, 3d 02h. */
export function duration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 1) return `${Math.floor(s * 1000)}ms`;
  if (s < 60) return `${(Math.floor(s * 10) / 10).toFixed(1)}s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${two(whole % 60)}s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)}h ${two(Math.floor((whole % 3600) / 60))}m`;
  return `${Math.floor(whole / 86400)}d ${two(Math.floor((whole % 86400) / 3600))}h`;
}

/** "3.2s ago", "in 5m 00s", or "now". */
export function relative(ts: number, now: number): string {
  const delta = ts - now;
  if (Math.abs(delta) < 0.001) return 'now';
  return delta < 0 ? `${duration(-delta)} ago` : `in ${duration(delta)}`;
}

/** "2026-12-01T09:00:00.000Z (3.2s ago)", or "-" when unset. */
export function when(ts: number | null | undefined, now: number): string {
  return ts === null || ts === undefined ? '-' : `${isoTime(ts)} (${relative(ts, now)})`;
}

function payloadField(job: JobRecord, name: string): unknown {
  const payload = job.payload;
  return typeof payload === 'object' && payload !== null
    ? (payload as Record<string, unknown>)[name]
    : undefined;
}

/** The recipient of an e-mail job (`payload.to`), or "-". */
export function recipient(job: JobRecord): string {
  const to = payloadField(job, 'to');
  return typeof to === 'string' ? to : '-';
}

/** "pending", or "pending (in 4.0s)" while it waits for its run_at or a retry. */
function statusText(job: JobRecord, now: number): string {
  if (job.status === 'pending' && job.available_after !== null && job.available_after > now) {
    return `pending (${relative(job.available_after, now)})`;
  }
  if (job.status === 'processing' && job.cancel_requested) return 'processing (cancelling)';
  return job.status;
}

export function jobTable(jobs: JobRecord[], now: number): string {
  return table(
    ['JOB ID', 'STATUS', 'PRIORITY', 'TYPE', 'TO', 'CREATED', 'RETRIES', 'LAST ERROR'],
    jobs.map((job) => [
      job.job_id,
      statusText(job, now),
      job.priority,
      job.job_type,
      truncate(recipient(job), 40),
      job.created_ts === null ? '-' : relative(job.created_ts, now),
      String(job.retry_count),
      job.last_error ? truncate(job.last_error, 48) : '-',
    ]),
    ['left', 'left', 'left', 'left', 'left', 'left', 'right', 'left'],
  );
}

/** Every field of one job, one per line. */
export function jobDetail(job: JobRecord, now: number): string {
  const rows: string[][] = [
    ['job', job.job_id],
    ['type', job.job_type],
    ['priority', job.priority],
    ['status', statusText(job, now)],
  ];
  if (typeof job.payload === 'object' && job.payload !== null) {
    for (const [name, value] of Object.entries(job.payload)) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      rows.push([`payload.${name}`, truncate(text, 100)]);
    }
  }
  rows.push(
    ['retries', String(job.retry_count)],
    ['stalls', String(job.stall_count ?? 0)],
    ['created', when(job.created_ts, now)],
    ['picked', when(job.picked_ts, now)],
    ['finished', when(job.completed_ts, now)],
    ['next attempt', when(job.available_after, now)],
  );
  if (job.last_error) rows.push(['last error', job.last_error]);
  if (job.cancel_requested)
    rows.push(['cancel', 'requested: the running attempt is being aborted']);
  return columns(rows);
}

/** A watched job's new state as one line: the time it was seen, the status, what it means. */
export function jobChange(job: JobRecord, previous: JobRecord | undefined, now: number): string {
  const notes: string[] = [];
  const due =
    job.available_after !== null && job.available_after > now ? job.available_after : null;
  switch (job.status) {
    case 'pending':
      if (job.retry_count > 0) {
        notes.push(`retry ${job.retry_count} ${due === null ? 'ready' : relative(due, now)}`);
      } else {
        notes.push(due === null ? 'ready' : `scheduled ${relative(due, now)}`);
      }
      break;
    case 'processing':
      notes.push(`attempt ${job.retry_count + 1}`);
      if (job.cancel_requested) notes.push('cancel requested');
      break;
    case 'completed':
    case 'failed':
      notes.push(`after ${job.retry_count + 1} attempt(s)`);
      if (job.created_ts !== null && job.completed_ts !== null) {
        notes.push(`${duration(job.completed_ts - job.created_ts)} after it was created`);
      }
      break;
    case 'cancelled':
      break;
  }
  if ((job.stall_count ?? 0) > (previous?.stall_count ?? 0)) {
    notes.push(`its worker was lost (${job.stall_count} time(s))`);
  }
  if (job.last_error && job.last_error !== previous?.last_error) {
    notes.push(`last error: ${truncate(job.last_error, 80)}`);
  }
  const clock = isoTime(now).slice(11);
  return `${clock}  ${job.status.padEnd(10)}  ${notes.join(', ')}`.trimEnd();
}

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled to the largest; zero is the lowest bar. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (max === 0 || v <= 0 ? BARS[0] : BARS[Math.max(1, Math.round((v / max) * 7))]))
    .join('');
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The /stats snapshot as a screen: counts, waiting times, the last hour, the workers. */
export function statsView(stats: QueueStatsSnapshot, now: number): string {
  const age = (s: number | null) => (s === null ? '-' : duration(s));
  const { completed_per_min: done, failed_per_min: failed } = stats.throughput;
  const lastMinute = (series: number[]) => series[series.length - 1] ?? 0;
  const counts = columns(
    [
      [
        'ready',
        String(stats.ready.high + stats.ready.low),
        `high ${stats.ready.high}, low ${stats.ready.low}; waiting longest: high ${age(stats.oldest_ready_age_s.high)}, low ${age(stats.oldest_ready_age_s.low)}`,
      ],
      ['scheduled', String(stats.scheduled), 'waiting for their run_at or a retry'],
      ['processing', String(stats.processing), ''],
      [
        'completed',
        String(stats.completed),
        `${lastMinute(done)} this minute, ${sum(done)} in the last hour`,
      ],
      [
        'failed',
        String(stats.failed),
        `${lastMinute(failed)} this minute, ${sum(failed)} in the last hour`,
      ],
      ['cancelled', String(stats.cancelled), ''],
    ],
    ['left', 'right', 'left'],
  );
  const hour = columns([
    ['completed/min', sparkline(done)],
    ['failed/min', sparkline(failed)],
  ]);
  const busy = sum(stats.workers.map((w) => w.active));
  const slots = sum(stats.workers.map((w) => w.concurrency));
  const workers =
    stats.workers.length === 0
      ? 'workers: none alive'
      : `workers: ${stats.workers.length} alive, ${busy} of ${slots} slots busy\n` +
        table(
          ['WORKER', 'HOST', 'PID', 'BUSY', 'STARTED', 'LAST SEEN'],
          stats.workers.map((w) => [
            w.id,
            w.host,
            String(w.pid),
            `${w.active}/${w.concurrency}`,
            relative(w.started_ts, now),
            relative(w.last_seen_ts, now),
          ]),
          ['left', 'left', 'right', 'right', 'left', 'left'],
        );
  return `${counts}\n\nlast 60 minutes, oldest first:\n${hour}\n\n${workers}`;
}
