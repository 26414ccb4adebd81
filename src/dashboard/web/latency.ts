import type { JobEvent } from './types';

/** p50 and p95 of the samples of one minute, in seconds (null: no sample that minute). */
export interface MinuteLatency {
  /** The minute's start, epoch seconds. */
  minute: number;
  waitP50: number | null;
  waitP95: number | null;
  runP50: number | null;
  runP95: number | null;
  waitCount: number;
  runCount: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Samples kept per minute and kind; beyond it a uniform reservoir sample stands in for all. */
const SAMPLES_PER_MINUTE = 5_000;
/** Jobs followed at once (due or started, not yet finished); the oldest are forgotten first. */
const MAX_TRACKED_JOBS = 50_000;

class Reservoir {
  readonly values: number[] = [];
  seen = 0;

  add(value: number, random: () => number): void {
    this.seen += 1;
    if (this.values.length < SAMPLES_PER_MINUTE) {
      this.values.push(value);
      return;
    }
    const slot = Math.floor(random() * this.seen);
    if (slot < SAMPLES_PER_MINUTE) this.values[slot] = value;
  }
}

/**
 * Wait and run times computed from job events, per minute over the last hour:
 * - wait = `processing.ts` minus the moment the attempt became due: the
 *   `available_after` of its `retry_scheduled` (or of a scheduled job's `submitted`),
 *   else the `ts` of its `submitted`, `retried`, `stalled` or `released` event;
 * - run = `completed.ts`, `failed.ts` or `retry_scheduled.ts` (an attempt that failed
 *   and will run again) minus the attempt's `processing.ts`.
 * A sample counts in the minute its attempt started (wait) or ended (run). Only jobs
 * whose earlier event was seen are measured: the first minutes after the page opens
 * measure fewer jobs.
 */
export class LatencyTracker {
  private readonly dueAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly waits = new Map<number, Reservoir>();
  private readonly runs = new Map<number, Reservoir>();

  constructor(
    private readonly minutes = 60,
    private readonly random: () => number = Math.random,
  ) {}

  add(event: JobEvent): void {
    const id = event.job_id;
    switch (event.event) {
      case 'submitted':
        this.track(this.dueAt, id, event.available_after ?? event.ts);
        break;
      case 'retried':
      case 'stalled':
      case 'released':
        this.startedAt.delete(id);
        this.track(this.dueAt, id, event.available_after ?? event.ts);
        break;
      case 'processing': {
        const due = this.dueAt.get(id);
        this.dueAt.delete(id);
        if (due !== undefined) this.sample(this.waits, event.ts, Math.max(0, event.ts - due));
        this.track(this.startedAt, id, event.ts);
        break;
      }
      case 'retry_scheduled':
        this.endAttempt(id, event.ts);
        if (event.available_after !== undefined) this.track(this.dueAt, id, event.available_after);
        break;
      case 'completed':
      case 'failed':
        this.endAttempt(id, event.ts);
        this.dueAt.delete(id);
        break;
      case 'cancelled':
        this.startedAt.delete(id);
        this.dueAt.delete(id);
        break;
    }
  }

  /** The last `minutes` minutes up to the one holding `nowS`, oldest first. */
  series(nowS: number): MinuteLatency[] {
    const current = Math.floor(nowS / 60);
    this.forgetBefore(current - this.minutes + 1);
    const out: MinuteLatency[] = [];
    for (let m = current - this.minutes + 1; m <= current; m++) {
      const wait = [...(this.waits.get(m)?.values ?? [])].sort((a, b) => a - b);
      const run = [...(this.runs.get(m)?.values ?? [])].sort((a, b) => a - b);
      out.push({
        minute: m * 60,
        waitP50: percentile(wait, 50),
        waitP95: percentile(wait, 95),
        runP50: percentile(run, 50),
        runP95: percentile(run, 95),
        waitCount: this.waits.get(m)?.seen ?? 0,
        runCount: this.runs.get(m)?.seen ?? 0,
      });
    }
    return out;
  }

  /** Jobs currently followed (for tests and the memory bound). */
  get tracked(): number {
    return this.dueAt.size + this.startedAt.size;
  }

  private endAttempt(id: string, ts: number): void {
    const start = this.startedAt.get(id);
    this.startedAt.delete(id);
    if (start !== undefined) this.sample(this.runs, ts, Math.max(0, ts - start));
  }

  private track(map: Map<string, number>, id: string, value: number): void {
    map.delete(id);
    map.set(id, value);
    if (map.size > MAX_TRACKED_JOBS) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }

  private sample(into: Map<number, Reservoir>, ts: number, seconds: number): void {
    const minute = Math.floor(ts / 60);
    let reservoir = into.get(minute);
    if (!reservoir) {
      reservoir = new Reservoir();
      into.set(minute, reservoir);
    }
    reservoir.add(seconds, this.random);
  }

  private forgetBefore(minute: number): void {
    for (const map of [this.waits, this.runs]) {
      for (const key of map.keys()) if (key < minute) map.delete(key);
    }
  }
}
