import { Injectable, Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { PRIORITIES } from '../queue/job-keys';
import { QueueStats, QueueStatsSnapshot } from '../queue/queue-stats';

/** One read of the queue serves every gauge of a scrape, and scrapes within this long. */
export const QUEUE_SNAPSHOT_TTL_MS = 1000;

const FINISHED_STATES = ['completed', 'failed', 'cancelled'] as const;

/**
 * Queue-wide gauges, read from Redis when Prometheus scrapes (QueueStats: one MULTI),
 * so every process reports the same values. Nothing is recorded between scrapes.
 * When Redis cannot be read the gauges are left out of that scrape (jobq_workers,
 * which has no labels, is NaN) rather than reporting stale numbers.
 */
@Injectable()
export class QueueMetrics {
  private readonly logger = new Logger('Metrics');
  private cached?: { atMs: number; snapshot: Promise<QueueStatsSnapshot | null> };

  constructor(
    registry: Registry,
    private readonly stats: QueueStats,
  ) {
    const registers = [registry];
    const read = (): Promise<QueueStatsSnapshot | null> => this.snapshot();
    const jobs = new Gauge({
      name: 'jobq_queue_jobs',
      help: 'Jobs in the queue by state (ready by priority; scheduled: waiting for run_at or a retry; completed, failed, cancelled: retained).',
      labelNames: ['state', 'priority'],
      registers,
      async collect() {
        jobs.reset();
        const s = await read();
        if (!s) return;
        for (const priority of PRIORITIES)
          jobs.set({ state: 'ready', priority }, s.ready[priority]);
        jobs.set({ state: 'scheduled' }, s.scheduled);
        jobs.set({ state: 'processing' }, s.processing);
        for (const state of FINISHED_STATES) jobs.set({ state }, s[state]);
      },
    });
    const oldest = new Gauge({
      name: 'jobq_queue_oldest_ready_seconds',
      help: 'How long the next ready job of each priority has been due (0 when none is ready).',
      labelNames: ['priority'],
      registers,
      async collect() {
        oldest.reset();
        const s = await read();
        if (!s) return;
        for (const priority of PRIORITIES) {
          oldest.set({ priority }, s.oldest_ready_age_s[priority] ?? 0);
        }
      },
    });
    const workers = new Gauge({
      name: 'jobq_workers',
      help: 'Live worker processes (registered with a heartbeat in the last two lease periods).',
      registers,
      async collect() {
        const s = await read();
        // A gauge without labels always has a sample: NaN says "unknown" rather than 0.
        workers.set(s ? s.workers.length : NaN);
      },
    });
  }

  private snapshot(): Promise<QueueStatsSnapshot | null> {
    const now = Date.now();
    if (!this.cached || now - this.cached.atMs >= QUEUE_SNAPSHOT_TTL_MS) {
      this.cached = {
        atMs: now,
        snapshot: this.stats.snapshot().catch((error: unknown) => {
          this.logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            'Queue gauges left out of this scrape: Redis could not be read',
          );
          return null;
        }),
      };
    }
    return this.cached.snapshot;
  }
}
