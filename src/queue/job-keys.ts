/**
 * Every Redis key the queue uses, built in one place. All live under QUEUE_PREFIX
 * (default "jobs"); the first three are the seed's layout.
 *
 *   <prefix>:hash:<id>      HASH  one job's fields (the status endpoint reads it), plus
 *                                 lease_token: the claim that owns it while processing
 *   <prefix>:queue:high     LIST  ready high-priority ids (LPUSH on submit, consumed from the right)
 *   <prefix>:queue:low      LIST  ready low-priority ids
 *   <prefix>:delayed        ZSET  ids waiting for a retry, scored by available_after (ms)
 *   <prefix>:inflight       ZSET  claimed ids, scored by lease deadline (ms)
 *   <prefix>:wake           ZSET  wake-up signal idle workers block on (BZPOPMIN)
 *   <prefix>:idempotency:<h>  STRING  request fingerprint and job ids of an Idempotency-Key (24 h)
 *   <prefix>:ratelimit:<h>  STRING  rate-limit state of one API key / client address
 */
export const PRIORITIES = ['high', 'low'] as const; // claim order: strict priority
export type Priority = (typeof PRIORITIES)[number];

export class JobKeys {
  readonly hashPrefix: string;
  readonly high: string;
  readonly low: string;
  readonly delayed: string;
  readonly inflight: string;
  readonly wake: string;

  constructor(readonly prefix: string) {
    this.hashPrefix = `${prefix}:hash:`;
    this.high = `${prefix}:queue:high`;
    this.low = `${prefix}:queue:low`;
    this.delayed = `${prefix}:delayed`;
    this.inflight = `${prefix}:inflight`;
    this.wake = `${prefix}:wake`;
  }

  hash(jobId: string): string {
    return this.hashPrefix + jobId;
  }

  /** `scope` is a hash of the caller and the Idempotency-Key, never the raw key. */
  idempotency(scope: string): string {
    return `${this.prefix}:idempotency:${scope}`;
  }

  rateLimit(principal: string): string {
    return `${this.prefix}:ratelimit:${principal}`;
  }

  queue(priority: Priority): string {
    return priority === 'high' ? this.high : this.low;
  }

  /** Every key that is not a job hash (job hashes are found with `${hashPrefix}*`). */
  get structural(): string[] {
    return [this.high, this.low, this.delayed, this.inflight, this.wake];
  }
}
