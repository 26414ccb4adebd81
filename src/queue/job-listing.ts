import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import {
  asciiLower,
  expandId,
  FINGERPRINT_LENGTH,
  indexMember,
  parseIndexMember,
  recipientKey,
  recipientOf,
} from './index-members';
import { ListingIndex, Priority } from './job-keys';
import { JobRepository } from './job.repository';
import { createdMs } from './job-record';
import { JobRecord, JobStatus } from './job.types';
import { byListingOrder, IndexPosition, newerThan, readIndexes } from './index-scan';

export interface ListQuery {
  status?: JobStatus;
  priority?: Priority;
  jobType?: string;
  /** Recipient address, compared case-insensitively. */
  to?: string;
  limit: number;
  cursor?: ListCursor;
}

/**
 * Where a page ended, in listing order: newest first by created time (ms), ties
 * by job id, both descending. `position`/`length` are a hint for the recipient
 * index (a list): where the scan was and how long the list was then.
 */
export interface ListCursor extends IndexPosition {
  position?: number;
  length?: number;
}

export interface ListPage {
  jobs: JobRecord[];
  /** Null when nothing more matches. */
  nextCursor: ListCursor | null;
}

interface Entry {
  score: number;
  member: string;
  record: JobRecord | null;
  /** Position in the recipient bucket (recipient scans only). */
  position?: number;
}

interface Chunk {
  /** In listing order, all strictly after the cursor. */
  entries: Entry[];
  /** True when no entry after the last one can exist. */
  exhausted: boolean;
  /** Recipient scans: the bucket's length when read. */
  length?: number;
}

/** Entries read from an index per round trip. */
const CHUNK = 200;
/**
 * A page stops early (fewer jobs, with a cursor) after this long: a rare filter
 * (a job_type that is 1 in 100,000 of the index) would otherwise scan the whole
 * index in one request. Every Redis call stays one small chunk.
 */
const PAGE_BUDGET_MS = 30;

/**
 * Listing and search over the indexes the scripts keep: `all` (every job; pending
 * and completed jobs are found there by their status), `failed` and `cancelled`
 * (the rare states), the in-flight set for processing jobs, and the recipient
 * buckets for `to`. Pages are keyset-based, so
 * following next_cursor returns every job that matched throughout exactly once,
 * while others are submitted, run and expire.
 */
@Injectable()
export class JobListing {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly repository: JobRepository,
  ) {}

  async list(query: ListQuery): Promise<ListPage> {
    const started = Date.now();
    const to = query.to === undefined ? undefined : asciiLower(query.to);
    const matches = (r: JobRecord | null): r is JobRecord =>
      r !== null &&
      (!query.status || r.status === query.status) &&
      (!query.priority || r.priority === query.priority) &&
      (!query.jobType || r.job_type === query.jobType) &&
      (to === undefined || recipientOf(r.payload) === to);

    const jobs: JobRecord[] = [];
    let cursor = query.cursor;
    for (;;) {
      const chunk = await this.next(query, cursor);
      for (const [i, entry] of chunk.entries.entries()) {
        cursor = {
          score: entry.score,
          member: entry.member,
          position: entry.position,
          length: chunk.length,
        };
        if (!matches(entry.record)) continue;
        jobs.push(entry.record);
        if (jobs.length === query.limit) {
          const more = i < chunk.entries.length - 1 || !chunk.exhausted;
          return { jobs, nextCursor: more ? cursor : null };
        }
      }
      if (chunk.exhausted) return { jobs, nextCursor: null };
      if (Date.now() - started > PAGE_BUDGET_MS) return { jobs, nextCursor: cursor ?? null };
    }
  }

  private next(query: ListQuery, cursor: ListCursor | undefined): Promise<Chunk> {
    if (query.to !== undefined) return this.recipientChunk(query.to, cursor);
    if (query.status === 'processing') return this.inflightChunk(cursor);
    const index: ListingIndex =
      query.status === 'failed' || query.status === 'cancelled' ? query.status : 'all';
    return this.indexChunk(index, cursor);
  }

  /** The next entries of one listing index, with their jobs. */
  private async indexChunk(index: ListingIndex, cursor: ListCursor | undefined): Promise<Chunk> {
    const read = await readIndexes(this.redis, this.repository.keys.index(index), CHUNK, cursor, {
      direction: 'desc',
    });
    const records = await this.repository.findMany(
      read.entries.map((e) => parseIndexMember(e.member).jobId ?? ''),
    );
    return {
      entries: read.entries.map((e, j) => ({ ...e, record: records[j] })),
      exhausted: !read.more,
    };
  }

  /** Processing jobs: the in-flight set, bounded by the workers' concurrency. */
  private async inflightChunk(cursor: ListCursor | undefined): Promise<Chunk> {
    const ids = await this.redis.zrange(this.repository.keys.inflight, '0', '-1');
    const records = await this.repository.findMany(ids);
    const entries = records
      .map((record, j) => ({
        record,
        member: record ? indexMember(ids[j], recipientOf(record.payload)) : '',
        score: record ? createdMs(record) : 0,
      }))
      .filter((e) => e.record && (!cursor || newerThan(cursor, e)))
      .sort(byListingOrder);
    return { entries, exhausted: true };
  }

  /**
   * A recipient's jobs: one bucket list, newest first, entries of several
   * addresses told apart by a fingerprint (and, exactly, by the job's own `to`).
   * Entries are in insertion order, which is created order; ties in created time
   * are held back until the scan has passed them, then sorted by id.
   */
  private async recipientChunk(to: string, cursor: ListCursor | undefined): Promise<Chunk> {
    const { bucket, fingerprint } = recipientKey(to);
    const key = this.repository.keys.recipientBucket(bucket);
    const length = await this.redis.llen(key);
    // Entries before this position are newer than the cursor: new ones are pushed at
    // the head, and removals only move it lower, so this never skips an entry.
    let position =
      cursor?.position !== undefined && cursor.length !== undefined
        ? Math.max(0, cursor.position + length - cursor.length)
        : 0;
    const held: (Entry & { position: number })[] = [];
    for (;;) {
      const raw = await this.redis.lrange(key, position, position + CHUNK * 5 - 1);
      const found: { id: string; member: string; position: number }[] = [];
      raw.forEach((entry, j) => {
        if (entry.startsWith(fingerprint)) {
          const member = entry.slice(FINGERPRINT_LENGTH);
          const id = expandId(member);
          if (id) found.push({ id, member, position: position + j });
        }
      });
      const records = await this.repository.findMany(found.map((f) => f.id));
      for (const [j, f] of found.entries()) {
        const record = records[j];
        if (!record) continue;
        const entry = { record, member: f.member, score: createdMs(record), position: f.position };
        if (!cursor || newerThan(cursor, entry)) held.push(entry);
      }
      position += raw.length;
      const exhausted = raw.length < CHUNK * 5;
      held.sort(byListingOrder);
      // Ties are returned in id order, not list order: a page ending inside a tie must
      // resume where its tie group starts in the list, or it would skip part of it.
      const groupStart = new Map<number, number>();
      for (const e of held) {
        groupStart.set(e.score, Math.min(groupStart.get(e.score) ?? Infinity, e.position));
      }
      for (const e of held) e.position = groupStart.get(e.score) ?? e.position;
      if (exhausted) return { entries: held, exhausted: true, length };
      // Later entries are no newer than the lowest score seen: release what is above it.
      const lowest = held[held.length - 1]?.score;
      const ready = held.filter((e) => lowest === undefined || e.score > lowest);
      if (ready.length > 0) return { entries: ready, exhausted: false, length };
    }
  }
}
