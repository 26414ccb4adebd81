import { LatencyTracker, percentile } from './latency';
import type { JobEvent } from './types';

const ev = (
  event: JobEvent['event'],
  job_id: string,
  ts: number,
  extra: Partial<JobEvent> = {},
): JobEvent => ({
  event,
  job_id,
  job_type: 'send_email',
  priority: 'low',
  ts,
  ...extra,
});

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('LatencyTracker', () => {
  const T = 1_800_000_000; // a minute boundary (divisible by 60)

  it('measures wait from submitted (or a scheduled due time) and run from processing', () => {
    const t = new LatencyTracker(2);
    t.add(ev('submitted', 'a', T + 1));
    t.add(ev('processing', 'a', T + 1.5, { attempt: 1 }));
    t.add(ev('completed', 'a', T + 3.5));
    // Scheduled: due at available_after, not at submission.
    t.add(ev('submitted', 'b', T + 2, { available_after: T + 10 }));
    t.add(ev('processing', 'b', T + 10.25, { attempt: 1 }));
    t.add(ev('failed', 'b', T + 11.25, { error: 'x' }));
    const [, minute] = t.series(T + 30);
    expect(minute.minute).toBe(T);
    expect(minute.waitCount).toBe(2);
    expect(minute.waitP50).toBeCloseTo(0.25);
    expect(minute.waitP95).toBeCloseTo(0.5);
    expect(minute.runP50).toBeCloseTo(1);
    expect(minute.runP95).toBeCloseTo(2);
    expect(t.tracked).toBe(0);
  });

  it('counts a retried attempt: run until retry_scheduled, wait from its available_after', () => {
    const t = new LatencyTracker(1);
    t.add(ev('submitted', 'a', T));
    t.add(ev('processing', 'a', T + 1));
    t.add(ev('retry_scheduled', 'a', T + 2, { available_after: T + 6, error: 'x' }));
    t.add(ev('processing', 'a', T + 6.5, { attempt: 2 }));
    t.add(ev('completed', 'a', T + 7));
    const [minute] = t.series(T + 59);
    expect(minute.waitCount).toBe(2); // 1 s, then 0.5 s
    expect(minute.waitP95).toBeCloseTo(1);
    expect(minute.runCount).toBe(2); // 1 s, then 0.5 s
    expect(minute.runP50).toBeCloseTo(0.5);
  });

  it('measures only what it saw begin, forgets cancelled jobs and minutes older than its window', () => {
    const t = new LatencyTracker(2);
    t.add(ev('processing', 'seen-late', T + 1));
    t.add(ev('completed', 'seen-late', T + 2));
    t.add(ev('completed', 'never-started', T + 2));
    t.add(ev('submitted', 'c', T + 3));
    t.add(ev('cancelled', 'c', T + 4));
    const [, minute] = t.series(T + 5);
    expect(minute.waitCount).toBe(0);
    expect(minute.runCount).toBe(1);
    expect(t.tracked).toBe(0);
    // Three minutes on, with a two-minute window, nothing of that minute is left.
    expect(t.series(T + 180).every((m) => m.runCount === 0)).toBe(true);
  });
});
