import { Registry } from 'prom-client';
import type { QueueStats, QueueStatsSnapshot } from '../queue/queue-stats';
import { QUEUE_SNAPSHOT_TTL_MS, QueueMetrics } from './queue-metrics';

const snapshot = (ready: number): QueueStatsSnapshot => ({
  ready: { high: ready, low: 1 },
  scheduled: 2,
  processing: 3,
  completed: 4,
  failed: 5,
  cancelled: 6,
  oldest_ready_age_s: { high: 1.5, low: null },
  throughput: { completed_per_min: [], failed_per_min: [] },
  workers: [],
});

/** Stands in for QueueStats (a Redis MULTI, tested against Redis elsewhere): counts the reads. */
function statsReturning(next: () => Promise<QueueStatsSnapshot>) {
  const stats = { reads: 0, snapshot: () => ((stats.reads += 1), next()) };
  return stats;
}

describe('QueueMetrics', () => {
  let now = 1_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it('reads the queue once for all its gauges and serves scrapes within the TTL from that read', async () => {
    let ready = 7;
    const stats = statsReturning(() => Promise.resolve(snapshot(ready)));
    const registry = new Registry();
    new QueueMetrics(registry, stats as unknown as QueueStats);

    const first = await registry.metrics();
    expect(stats.reads).toBe(1);
    expect(first).toContain('jobq_queue_jobs{state="ready",priority="high"} 7');
    expect(first).toContain('jobq_queue_jobs{state="ready",priority="low"} 1');
    expect(first).toContain('jobq_queue_jobs{state="scheduled"} 2');
    expect(first).toContain('jobq_queue_jobs{state="cancelled"} 6');
    expect(first).toContain('jobq_queue_oldest_ready_seconds{priority="high"} 1.5');
    expect(first).toContain('jobq_queue_oldest_ready_seconds{priority="low"} 0');
    expect(first).toContain('jobq_workers 0');

    ready = 8;
    now += QUEUE_SNAPSHOT_TTL_MS - 1;
    expect(await registry.metrics()).toContain('jobq_queue_jobs{state="ready",priority="high"} 7');
    expect(stats.reads).toBe(1);

    now += 1;
    expect(await registry.metrics()).toContain('jobq_queue_jobs{state="ready",priority="high"} 8');
    expect(stats.reads).toBe(2);
  });

  it('leaves the queue gauges out of a scrape when the queue cannot be read', async () => {
    const stats = statsReturning(() => Promise.reject(new Error('Connection is closed.')));
    const registry = new Registry();
    new QueueMetrics(registry, stats as unknown as QueueStats);
    const text = await registry.metrics();
    expect(text).not.toMatch(/^jobq_queue_jobs\{/m);
    expect(text).toMatch(/^jobq_workers Nan$/m);
  });
});
