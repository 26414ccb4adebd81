import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { JobRepository } from './job.repository';
import { JobScripts } from './job-scripts';

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Attempts running at its last heartbeat. */
  active: number;
  started_ts: number;
  last_seen_ts: number;
}

/**
 * Which worker processes are alive: each registers itself and refreshes its entry
 * with its heartbeat; an entry lives two lease periods without one.
 */
@Injectable()
export class WorkerRegistry {
  private readonly scripts: JobScripts;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly repository: JobRepository,
  ) {
    this.scripts = JobScripts.on(redis);
  }

  async heartbeat(info: Omit<WorkerInfo, 'last_seen_ts'>, ttlMs: number): Promise<void> {
    const k = this.repository.keys;
    await this.scripts.run(
      'workerPresence',
      [k.workers, k.worker(info.id)],
      [
        'up',
        info.id,
        ttlMs,
        'host',
        info.host,
        'pid',
        info.pid,
        'concurrency',
        info.concurrency,
        'active',
        info.active,
        'started_ts',
        info.started_ts,
      ],
    );
  }

  async remove(workerId: string): Promise<void> {
    const k = this.repository.keys;
    await this.scripts.run(
      'workerPresence',
      [k.workers, k.worker(workerId)],
      ['down', workerId, 0],
    );
  }

  /** Live workers, oldest first. */
  async live(): Promise<WorkerInfo[]> {
    const k = this.repository.keys;
    const ids = await this.redis.zrange(k.workers, '0', '-1');
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(k.worker(id));
    const replies = (await pipeline.exec()) ?? [];
    const workers: WorkerInfo[] = [];
    for (const [error, reply] of replies) {
      const f = reply as Record<string, string>;
      if (error || !f.id) continue; // expired: its worker died
      workers.push({
        id: f.id,
        host: f.host,
        pid: Number(f.pid),
        concurrency: Number(f.concurrency),
        active: Number(f.active),
        started_ts: Number(f.started_ts),
        last_seen_ts: Number(f.last_seen_ts),
      });
    }
    return workers.sort((a, b) => a.started_ts - b.started_ts);
  }
}
