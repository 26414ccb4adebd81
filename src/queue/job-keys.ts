/**
 * Every Redis key the queue uses, built in one place. All live under QUEUE_PREFIX
 * (default "jobs"; hash-tagged as "{jobs}" on a Redis Cluster so that a queue's
 * keys share one slot); the first three are the seed's layout.
 *
 *   <prefix>:hash:<id>        HASH    one job's fields (the status endpoint reads it), plus
 *                                     lease_token (the claim that owns it while processing),
 *                                     stall_count and cancel_requested when set
 *   <prefix>:queue:high       LIST    ready high-priority ids (LPUSH on submit, consumed from the right)
 *   <prefix>:queue:low        LIST    ready low-priority ids
 *   <prefix>:delayed          ZSET    ids waiting for their run_at or a retry, scored by due time (ms)
 *   <prefix>:inflight         ZSET    claimed ids, scored by lease deadline (ms)
 *   <prefix>:wake             ZSET    wake-up signal idle workers block on (BZPOPMIN)
 *   <prefix>:index:all        ZSET    listing index of every job (compact id, then its recipient
 *                                     bucket), scored by created time (ms)
 *   <prefix>:index:<state>    ZSET    the same, for the rare states only: `failed`, `cancelled`
 *   <prefix>:index:to:<n>     LIST    recipient index, 1,024 buckets by a hash of the address:
 *                                     entries "<3-char fingerprint><compact id>", newest first
 *   <prefix>:events           STREAM  job events (submitted, processing, completed, ...), capped
 *   <prefix>:stats:minutes    HASH    completed (c:<minute>) and failed (f:<minute>) per minute
 *   <prefix>:workers          ZSET    live worker ids, scored by last heartbeat (ms)
 *   <prefix>:worker:<id>      HASH    one worker's host, pid, concurrency, active, timestamps
 *   <prefix>:throttle:<type>  ZSET    attempt starts of a rate-limited job type in the last second
 *   <prefix>:control          channel cancel requests to running attempts (PUBLISH)
 *   <prefix>:lock:<name>      STRING  short lease so one process at a time does upkeep
 *   <prefix>:idempotency:<h>  STRING  request fingerprint and job ids of an Idempotency-Key (24 h)
 *   <prefix>:ratelimit:<h>    STRING  rate-limit state of one API key / client address
 */
export const PRIORITIES = ['high', 'low'] as const; // claim order: strict priority
export type Priority = (typeof PRIORITIES)[number];

/**
 * Listing indexes: `all` holds every job; the rare finished states have one of their
 * own too (completed jobs, the bulk of a queue, are found in `all` by their status,
 * so completing a job touches no index).
 */
export const LISTING_INDEXES = ['all', 'failed', 'cancelled'] as const;
export type ListingIndex = (typeof LISTING_INDEXES)[number];
export type FinishedState = 'completed' | 'failed' | 'cancelled';

/** Buckets of the recipient index; a power of two. */
export const RECIPIENT_BUCKETS = 1024;

export class JobKeys {
  readonly hashPrefix: string;
  readonly high: string;
  readonly low: string;
  readonly delayed: string;
  readonly inflight: string;
  readonly wake: string;
  readonly events: string;
  readonly statsMinutes: string;
  readonly workers: string;
  readonly control: string;
  readonly recipientPrefix: string;

  constructor(readonly prefix: string) {
    this.hashPrefix = `${prefix}:hash:`;
    this.high = `${prefix}:queue:high`;
    this.low = `${prefix}:queue:low`;
    this.delayed = `${prefix}:delayed`;
    this.inflight = `${prefix}:inflight`;
    this.wake = `${prefix}:wake`;
    this.events = `${prefix}:events`;
    this.statsMinutes = `${prefix}:stats:minutes`;
    this.workers = `${prefix}:workers`;
    this.control = `${prefix}:control`;
    this.recipientPrefix = `${prefix}:index:to:`;
  }

  hash(jobId: string): string {
    return this.hashPrefix + jobId;
  }

  queue(priority: Priority): string {
    return priority === 'high' ? this.high : this.low;
  }

  index(name: ListingIndex): string {
    return `${this.prefix}:index:${name}`;
  }

  recipientBucket(bucket: number): string {
    return this.recipientPrefix + bucket;
  }

  worker(workerId: string): string {
    return `${this.prefix}:worker:${workerId}`;
  }

  throttle(jobType: string): string {
    return `${this.prefix}:throttle:${jobType}`;
  }

  lock(name: string): string {
    return `${this.prefix}:lock:${name}`;
  }

  /** `scope` is a hash of the caller and the Idempotency-Key, never the raw key. */
  idempotency(scope: string): string {
    return `${this.prefix}:idempotency:${scope}`;
  }

  rateLimit(principal: string): string {
    return `${this.prefix}:ratelimit:${principal}`;
  }

  /** Keys that always exist once the queue is used (job hashes, buckets and workers are found by pattern). */
  get structural(): string[] {
    return [
      this.high,
      this.low,
      this.delayed,
      this.inflight,
      this.wake,
      this.events,
      this.statsMinutes,
      this.workers,
      ...LISTING_INDEXES.map((name) => this.index(name)),
    ];
  }
}
