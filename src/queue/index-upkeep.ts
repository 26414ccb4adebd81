import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { jobsConfig } from '../config/configuration';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { parseIndexMember } from './index-members';
import { LISTING_INDEXES, ListingIndex } from './job-keys';
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
 * removed here. Each listing index is walked oldest first, a chunk at a time, but
 * only up to `now - retention` by created time (the shortest retention that
 * applies to it): a job created later cannot have expired yet. An expired job's
 * member also names its recipient-index entry, which goes with it. Listing never
 * shows an expired job either way (it reads the hashes); this keeps counts exact
 * and memory bounded.
 */
@Injectable()
export class IndexUpkeep {
  private readonly cursors = new Map<ListingIndex, IndexPosition | undefined>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly repository: JobRepository,
    @Inject(jobsConfig.KEY) private readonly jobs: ConfigType<typeof jobsConfig>,
  ) {}

  /** Sweeps every listing index, at most `budget` entries each. */
  async run(budget: number): Promise<UpkeepResult> {
    let removed = 0;
    let more = false;
    for (const index of LISTING_INDEXES) {
      const swept = await this.sweep(index, budget);
      removed += swept.removed;
      more ||= swept.more;
    }
    await this.trimMinuteCounts();
    return { removed, more };
  }

  /** Seconds the jobs of an index are kept once finished; 0 when none of them expire. */
  private retentionS(index: ListingIndex): number {
    const { completedS, failedS } = this.jobs.retention;
    if (index !== 'all') return failedS; // failed and cancelled jobs
    const expiring = [completedS, failedS].filter((s) => s > 0);
    return expiring.length > 0 ? Math.min(...expiring) : 0;
  }

  /** Entries of `index` whose job has expired, oldest first. */
  async sweep(index: ListingIndex, budget: number): Promise<UpkeepResult> {
    const retentionS = this.retentionS(index);
    if (retentionS === 0) return { removed: 0, more: false };
    const maxScore = Date.now() - retentionS * 1000;
    let removed = 0;
    for (let checked = 0; checked < budget;) {
      const read = await readIndexes(
        this.redis,
        this.repository.keys.index(index),
        CHUNK,
        this.cursors.get(index),
        { direction: 'asc', maxScore },
      );
      checked += read.entries.length;
      removed += await this.removeExpired(read.entries);
      const last = read.entries[read.entries.length - 1];
      if (!read.more || !last) {
        this.cursors.set(index, undefined); // start over next time
        return { removed, more: false };
      }
      this.cursors.set(index, last);
    }
    return { removed, more: true };
  }

  private async removeExpired(entries: IndexPosition[]): Promise<number> {
    if (entries.length === 0) return 0;
    const k = this.repository.keys;
    const parsed = entries.map((e) => ({ member: e.member, ...parseIndexMember(e.member) }));
    const exists = this.redis.pipeline();
    for (const { jobId } of parsed) exists.exists(k.hash(jobId ?? ''));
    const alive = ((await exists.exec()) ?? []).map(([error, n]) => !error && Number(n) === 1);
    const dead = parsed.filter((_, i) => !alive[i]);
    if (dead.length === 0) return 0;
    // Each removal is idempotent and the job is gone: no script needed to keep them together.
    const members = dead.map((d) => d.member);
    const remove = this.redis.pipeline();
    for (const index of LISTING_INDEXES) remove.zrem(k.index(index), ...members);
    for (const { recipient } of dead) {
      if (recipient) remove.lrem(k.recipientBucket(recipient.bucket), -1, recipient.entry);
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
