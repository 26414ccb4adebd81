import { queueNode, RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { parseIndexMember } from './index-members';
import { FinishedState, Priority } from './job-keys';
import { JobRepository } from './job.repository';
import { JobScripts } from './job-scripts';
import { IndexPosition, readIndexes } from './index-scan';

const CHUNK = 200;

/**
 * Operations over many finished jobs, a chunk of one index at a time (each chunk
 * one script that re-checks every job's state), so they are safe while workers
 * run and never hold Redis for long.
 */
@Injectable()
export class BulkOperations {
  private readonly scripts: JobScripts;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly repository: JobRepository,
  ) {
    this.scripts = JobScripts.on(redis);
  }

  /** Deletes `state` jobs that finished at or before `now - olderThanS`; returns how many. */
  async purge(state: FinishedState, olderThanS: number): Promise<number> {
    // Completed jobs are found in the all-jobs index; the script checks each one's state.
    const index = state === 'completed' ? 'all' : state;
    const key = this.repository.keys.index(index);
    const allKey = this.repository.keys.index('all');
    const [seconds, micros] = await queueNode(this.redis, this.repository.keys.prefix).time();
    // A job that finished before the cutoff was created before it too.
    const cutoffMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - olderThanS * 1000;
    let deleted = 0;
    let cursor: IndexPosition | undefined;
    for (;;) {
      const read = await readIndexes(this.redis, key, CHUNK, cursor, {
        direction: 'asc',
        maxScore: cutoffMs,
      });
      if (read.entries.length > 0) {
        const keys = [allKey, key];
        const args: (string | number)[] = [state, cutoffMs];
        for (const { member } of read.entries) {
          const { jobId, recipient } = parseIndexMember(member);
          const hash = this.repository.keys.hash(jobId ?? '');
          keys.push(
            hash,
            recipient ? this.repository.keys.recipientBucket(recipient.bucket) : hash,
          );
          args.push(member, recipient?.entry ?? '');
        }
        const [n] = (await this.scripts.run('purgeJobs', keys, args)) as [number, number];
        deleted += n;
      }
      cursor = read.entries[read.entries.length - 1];
      if (!read.more || !cursor) return deleted;
    }
  }

  /** Runs failed jobs again (see JobRepository.retry), oldest first, up to `max`. */
  async retryFailed(
    filter: { jobType?: string; priority?: Priority },
    max: number,
  ): Promise<number> {
    const key = this.repository.keys.index('failed');
    let retried = 0;
    let cursor: IndexPosition | undefined;
    while (retried < max) {
      const read = await readIndexes(this.redis, key, Math.min(CHUNK, max - retried), cursor, {
        direction: 'asc',
        maxScore: Number.MAX_SAFE_INTEGER,
      });
      const ids = read.entries.map((e) => parseIndexMember(e.member).jobId ?? '');
      const codes = await this.repository.retry(ids, { withCancelled: false, ...filter });
      retried += codes.filter((code) => code === 1).length;
      cursor = read.entries[read.entries.length - 1];
      if (!read.more || !cursor) break;
    }
    return retried;
  }
}
