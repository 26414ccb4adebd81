import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { LISTING_INDEXES, Priority, PRIORITIES } from './job-keys';
import { JobRepository } from './job.repository';
import { IndexUpkeep } from './index-upkeep';
import { WorkerInfo, WorkerRegistry } from './worker-registry';

export interface QueueStatsSnapshot {
  ready: Record<Priority, number>;
  /** Waiting for their run_at or a retry's backoff. */
  scheduled: number;
  processing: number;
  /** Retained finished jobs. */
  completed: number;
  failed: number;
  cancelled: number;
  /** Seconds the job next in line has been ready (since created, run_at or retry due). */
  oldest_ready_age_s: Record<Priority, number | null>;
  throughput: { completed_per_min: number[]; failed_per_min: number[] };
  workers: WorkerInfo[];
}

const MINUTES = 60;

/** Queue-wide counts, read at one instant (MULTI) from the queue's own structures. */
@Injectable()
export class QueueStats {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly repository: JobRepository,
    private readonly upkeep: IndexUpkeep,
    private readonly workers: WorkerRegistry,
  ) {}

  async snapshot(): Promise<QueueStatsSnapshot> {
    // Entries of jobs that expired since the last upkeep would be counted: drop them first.
    for (const index of LISTING_INDEXES) await this.upkeep.sweep(index, 2_000);
    const k = this.repository.keys;
    const reply = await this.redis
      .multi()
      .time()
      .llen(k.high)
      .llen(k.low)
      .zcard(k.delayed)
      .zcard(k.inflight)
      .zcard(k.index('all'))
      .zcard(k.index('failed'))
      .zcard(k.index('cancelled'))
      .lindex(k.high, -1)
      .lindex(k.low, -1)
      .hgetall(k.statsMinutes)
      .exec();
    const values = (reply ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const [time, high, low, scheduled, processing, all, failed, cancelled] = values.map((v, i) =>
      i === 0 ? v : Number(v),
    ) as [[string, string], ...number[]];
    // Every job is in exactly one of these; what is left of the all-jobs index is completed.
    const completed = Math.max(0, all - high - low - scheduled - processing - failed - cancelled);
    const [seconds, micros] = time;
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const nextInLine = [values[8], values[9]] as (string | null)[];
    const minutes = values[10] as Record<string, string>;

    const ages = await Promise.all(nextInLine.map((id) => this.readyAge(id, nowMs)));
    const current = Math.floor(nowMs / 60_000);
    const perMinute = (kind: 'c' | 'f'): number[] =>
      Array.from({ length: MINUTES }, (_, i) =>
        Number(minutes[`${kind}:${current - MINUTES + 1 + i}`] ?? 0),
      );

    return {
      ready: { high, low },
      scheduled,
      processing,
      completed,
      failed,
      cancelled,
      oldest_ready_age_s: Object.fromEntries(PRIORITIES.map((p, i) => [p, ages[i]])) as Record<
        Priority,
        number | null
      >,
      throughput: { completed_per_min: perMinute('c'), failed_per_min: perMinute('f') },
      workers: await this.workers.live(),
    };
  }

  private async readyAge(jobId: string | null, nowMs: number): Promise<number | null> {
    if (!jobId) return null;
    const [availableAfter, created] = await this.redis.hmget(
      this.repository.keys.hash(jobId),
      'available_after',
      'created_ts',
    );
    const since = Number(availableAfter || created);
    if (!Number.isFinite(since) || since === 0) return null;
    return Math.max(0, Math.round(nowMs - since * 1000) / 1000);
  }
}
