import { Registry } from 'prom-client';
import type { ClaimedJob } from '../queue/job.types';
import { JobMetrics } from './job-metrics';

const job = (over: Partial<ClaimedJob> = {}): ClaimedJob => ({
  id: 'j',
  token: 't',
  type: 'send_email',
  payload: {},
  startDelayMs: 0,
  retryCount: 0,
  priority: 'high',
  readySinceMs: 1_000,
  ...over,
});

async function values(registry: Registry, name: string) {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).map((v) => ({ labels: v.labels, value: v.value }));
}

describe('JobMetrics', () => {
  it('counts a batch of submissions per type and priority', async () => {
    const registry = new Registry();
    new JobMetrics(registry).submitted([
      { type: 'send_email', priority: 'high' },
      { type: 'send_email', priority: 'low' },
      { type: 'send_email', priority: 'high' },
    ]);
    expect(await values(registry, 'jobq_jobs_submitted_total')).toEqual([
      { labels: { job_type: 'send_email', priority: 'high' }, value: 2 },
      { labels: { job_type: 'send_email', priority: 'low' }, value: 1 },
    ]);
  });

  it('maps attempt outcomes to attempts, finished jobs and run times', async () => {
    const registry = new Registry();
    const metrics = new JobMetrics(registry);
    for (const outcome of ['success', 'retry', 'failed', 'cancelled', 'discarded'] as const) {
      metrics.settled({ job: job(), outcome, runMs: 250 });
    }
    const attempts = await values(registry, 'jobq_attempts_total');
    expect(attempts.map((a) => [a.labels.outcome, a.value])).toEqual([
      ['success', 1],
      ['retry', 1],
      ['failed', 1],
      ['cancelled', 1],
      ['discarded', 1],
    ]);
    const finished = await values(registry, 'jobq_jobs_finished_total');
    expect(finished.map((f) => [f.labels.status, f.value])).toEqual([
      ['completed', 1],
      ['failed', 1],
      ['cancelled', 1],
    ]);
    const runs = await values(registry, 'jobq_job_run_seconds');
    expect(runs.find((r) => r.labels.outcome === 'success' && r.labels.le === 0.25)?.value).toBe(1);
  });

  it('counts recovered jobs as stalled attempts, and those that ended as finished', async () => {
    const registry = new Registry();
    new JobMetrics(registry).recovered([
      { id: 'a', outcome: 'requeued', stallCount: 1, type: 'send_email', retryCount: 0 },
      { id: 'b', outcome: 'failed', stallCount: 3, type: 'send_email', retryCount: 1 },
      { id: 'c', outcome: 'cancelled', stallCount: 1, type: 'send_email', retryCount: 0 },
    ]);
    expect(await values(registry, 'jobq_attempts_total')).toEqual([
      { labels: { job_type: 'send_email', outcome: 'stalled' }, value: 3 },
    ]);
    const finished = await values(registry, 'jobq_jobs_finished_total');
    expect(finished.map((f) => [f.labels.status, f.value])).toEqual([
      ['failed', 1],
      ['cancelled', 1],
    ]);
  });

  it('measures the wait from the due time, never negative when the clocks disagree', async () => {
    const registry = new Registry();
    const metrics = new JobMetrics(registry);
    metrics.picked(job({ readySinceMs: 1_000 }), 3_500);
    metrics.picked(job({ readySinceMs: 5_000 }), 4_000); // host clock behind Redis's
    const waits = await values(registry, 'jobq_job_wait_seconds');
    // Cumulative buckets: 0 s in the first, 2.5 s from the 2.5 s bucket on; sum 2.5 s.
    expect(waits.find((w) => w.labels.le === 0.005)?.value).toBe(1);
    expect(waits.find((w) => w.labels.le === 1)?.value).toBe(1);
    expect(waits.find((w) => w.labels.le === 2.5)?.value).toBe(2);
    expect(waits.find((w) => w.labels.le === undefined && w.value === 2.5)).toBeDefined();
  });
});
