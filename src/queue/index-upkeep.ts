import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { jobsConfig } from '../config/configuration';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { parseIndexMember } from './index-members';
import { FinishedState } from './job-keys';
import { JobRepository } from './job.repository';
import { IndexPosition, readIndexes } from './index-scan';

const CHUNK = 500;
/** Per-minute counts older than this are dropped (GET /stats shows the last hour). */
const MINUTE_COUNTS_KEPT = 120;

export interface UpkeepResult {
  removed: number;
  /** True when the budget ran out before the indexes were swept: run again soon. */
  more: boolean;
}

/**
 * Finished jobs expire by Redis TTL (their retention); their index entries are
 * removed here. A state index is walked oldest first, a chunk at a time, but only
 * up to `now - retention` by created time: a job created later cannot have
 * expired yet. An expired job's member also names its recipient-index entry, which
 * goes with it. Listing never shows an expired job either way (it reads the
 * hashes); this keeps counts exact and memory bounded.
 */
@Injectable()
export class IndexUpkeep {
  private readonly cursors = new Map<FinishedState, IndexPosition | undefined>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly repository: JobRepository,
    @Inject(jobsConfig.KEY) private readonly jobs: ConfigType<typeof jobsConfig>,
  ) {}

  /** Sweeps every finished state's index, at most `budget` entries each. */
  async run(budget: number): Promise<UpkeepResult> {
    let removed = 0;
    let more = false;
    for (const state of ['completed', 'failed', 'cancelled'] as const) {
      const swept = await this.sweepState(state, budget);
      removed += swept.removed;
      more ||= swept.more;
    }
    await this.trimMinuteCounts();
    return { removed, more };
  }

  /** Index entries of `state` whose job has expired, oldest first. */
  async sweepState(state: FinishedState, budget: number): Promise<UpkeepResult> {
    const retentionS =
      state === 'completed' ? this.jobs.retention.completedS : this.jobs.retention.failedS;
    if (retentionS === 0) return { removed: 0, more: false };
    const key = this.repository.keys.index(state);
    const maxScore = Date.now() - retentionS * 1000;
    let removed = 0;
    for (let checked = 0; checked < budget;) {
      const [read] = await readIndexes(this.redis, [key], CHUNK, this.cursors.get(state), {
        direction: 'asc',
        maxScore,
      });
      checked += read.entries.length;
      removed += await this.removeExpired(key, read.entries);
      const last = read.entries[read.entries.length - 1];
      if (!read.more || !last) {
        this.cursors.set(state, undefined); // start over next time
        return { removed, more: false };
      }
      this.cursors.set(state, last);
    }
    return { removed, more: true };
  }

  private async removeExpired(key: string, entries: IndexPosition[]): Promise<number> {
    if (entries.length === 0) return 0;
    const parsed = entries.map((e) => ({ member: e.member, ...parseIndexMember(e.member) }));
    const exists = this.redis.pipeline();
    for (const { jobId } of parsed) exists.exists(this.repository.keys.hash(jobId ?? ''));
    const alive = ((await exists.exec()) ?? []).map(([error, n]) => !error && Number(n) === 1);
    const dead = parsed.filter((_, i) => !alive[i]);
    if (dead.length === 0) return 0;
    // Each removal is idempotent and the job is gone: no script needed to keep them together.
    const remove = this.redis.pipeline().zrem(key, ...dead.map((d) => d.member));
    for (const { recipient } of dead) {
      if (recipient) {
        remove.lrem(this.repository.keys.recipientBucket(recipient.bucket), -1, recipient.entry);
      }
    }
    await remove.exec();
    return dead.length;
  }

  private async trimMinuteCounts(): Promise<void> {
    const key = this.repository.keys.statsMinutes;
    const fields = await this.redis.hkeys(key);
    const oldest = Math.floor(Date.now() / 60_000) - MINUTE_COUNTS_KEPT;
    const old = fields.filter((f) => Number(f.slice(2)) < oldest);
    if (old.length > 0) await this.redis.hdel(key, ...old);
  }
}
