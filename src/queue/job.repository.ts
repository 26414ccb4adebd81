import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { jobsConfig, redisConfig } from '../config/configuration';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { compactId, indexMember, recipientKey, recipientOf } from './index-members';
import { JobKeys, Priority } from './job-keys';
import { JobScripts } from './job-scripts';
import { JobError, JobErrorCode } from './job.errors';
import { parsePayload, toJobRecord } from './job-record';
import {
  CancelOutcome,
  ClaimResult,
  ClaimThrottle,
  ClaimedJob,
  FailOutcome,
  HeldLease,
  JobRecord,
  Lease,
  NewJob,
  Recovered,
} from './job.types';

/** How many due jobs one claim promotes at most (bounds the script's run time). */
const PROMOTE_LIMIT = 1000;
/** How many expired leases one recover call handles at most. */
const RECOVER_LIMIT = 1000;

export interface RetryPolicy {
  /** Backoff before the retry this failure would schedule. */
  delayMs: number;
  /** No retry whatever the count (e.g. an SMTP 5xx). */
  permanent: boolean;
}

export interface IdempotentRequest {
  /** Hash of who is asking and their Idempotency-Key. */
  scope: string;
  /** Hash of the canonical request. */
  fingerprint: string;
  ttlS: number;
}

export interface SubmitOnceResult {
  replayed: boolean;
  ids: string[];
}

export interface RetryFilter {
  /** Cancelled jobs may be retried too (a single retry by id); retry-failed takes failed ones only. */
  withCancelled: boolean;
  jobType?: string;
  priority?: Priority;
}

export type JobsConfig = ConfigType<typeof jobsConfig>;

/**
 * The queue's job state: every change of a job goes through here, and every
 * multi-key change is one of the Lua scripts in lua/, which also write the job's
 * listing-index entries and its events.
 */
@Injectable()
export class JobRepository {
  readonly keys: JobKeys;
  private readonly scripts: JobScripts;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(redisConfig.KEY) config: Pick<ConfigType<typeof redisConfig>, 'queuePrefix'>,
    @Inject(jobsConfig.KEY) private readonly jobs: JobsConfig,
  ) {
    this.keys = new JobKeys(config.queuePrefix);
    this.scripts = JobScripts.on(redis);
  }

  private get maxEvents(): number {
    return this.jobs.eventsMaxLen;
  }

  /** Creates all jobs or none, in order. */
  async submit(jobs: readonly NewJob[]): Promise<void> {
    const { keys, args } = this.jobArguments(jobs, [], [this.maxEvents]);
    const result = await this.scripts.run('submitJobs', keys, args);
    if (result === -1)
      throw new JobError(JobErrorCode.IdConflict, 'a job with this id already exists');
  }

  /**
   * As submit, once per idempotency record: a repeat of the same request returns
   * the ids of the jobs the first one created and creates nothing.
   */
  async submitOnce(jobs: readonly NewJob[], once: IdempotentRequest): Promise<SubmitOnceResult> {
    const { keys, args } = this.jobArguments(
      jobs,
      [this.keys.idempotency(once.scope)],
      [this.maxEvents, once.fingerprint, once.ttlS],
    );
    const [code, ...ids] = (await this.scripts.run('submitJobsOnce', keys, args)) as [
      number,
      ...string[],
    ];
    if (code === 1) return { replayed: false, ids: jobs.map((job) => job.id) };
    if (code === 2) return { replayed: true, ids };
    if (code === -2) {
      throw new JobError(
        JobErrorCode.IdempotencyMismatch,
        'this Idempotency-Key was used for a different request',
      );
    }
    throw new JobError(JobErrorCode.IdConflict, 'a job with this id already exists');
  }

  private jobArguments(
    jobs: readonly NewJob[],
    extraKeys: string[],
    args: (string | number)[],
  ): { keys: string[]; args: (string | number)[] } {
    const k = this.keys;
    const keys = [k.wake, k.delayed, k.index('all'), k.events, ...extraKeys];
    for (const job of jobs) {
      const recipient = job.recipient ? recipientKey(job.recipient) : undefined;
      const member = indexMember(job.id, recipient);
      keys.push(
        k.hash(job.id),
        k.queue(job.priority),
        recipient ? k.recipientBucket(recipient.bucket) : k.hash(job.id),
      );
      args.push(
        job.id,
        job.type,
        job.priority,
        job.payloadJson,
        member,
        dueArgument(job),
        recipient ? recipient.fingerprint + compactId(job.id) : '',
      );
    }
    return { keys, args };
  }

  async find(jobId: string): Promise<JobRecord | null> {
    const fields = await this.redis.hgetall(this.keys.hash(jobId));
    return fields.job_id ? toJobRecord(fields) : null;
  }

  /** Several jobs in one round trip; null where a job does not exist (any more). */
  async findMany(jobIds: readonly string[]): Promise<(JobRecord | null)[]> {
    if (jobIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of jobIds) pipeline.hgetall(this.keys.hash(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, fields]) => {
      if (error) throw error;
      const f = fields as Record<string, string>;
      return f.job_id ? toJobRecord(f) : null;
    });
  }

  async claim(
    maxJobs: number,
    leaseMs: number,
    tokenPrefix: string,
    throttle?: ClaimThrottle,
  ): Promise<ClaimResult> {
    const k = this.keys;
    const reply = (await this.scripts.run(
      'claimJobs',
      [k.high, k.low, k.delayed, k.inflight, k.wake, k.events, k.throttle(throttle?.type ?? '-')],
      [
        k.hashPrefix,
        maxJobs,
        leaseMs,
        tokenPrefix,
        PROMOTE_LIMIT,
        this.maxEvents,
        throttle?.type ?? '',
        throttle?.limit ?? 0,
        throttle?.windowMs ?? 0,
        throttle?.toleranceMs ?? 0,
        throttle?.horizonMs ?? 0,
      ],
    )) as (string | number)[];
    const jobs: ClaimedJob[] = [];
    for (let i = 2; i < reply.length; i += 8) {
      const id = String(reply[i]);
      const payload = parsePayload(String(reply[i + 3]));
      jobs.push({
        id,
        token: String(reply[i + 1]),
        type: String(reply[i + 2]),
        payload,
        retryCount: Number(reply[i + 4]),
        priority: reply[i + 5] as Priority,
        readySinceMs: Math.round(Number(reply[i + 6]) * 1000),
        startDelayMs: Number(reply[i + 7]),
      });
    }
    const nextDue = Number(reply[0]);
    const throttled = Number(reply[1]);
    return {
      jobs,
      nextDueInMs: nextDue < 0 ? null : nextDue,
      throttledForMs: throttled < 0 ? null : throttled,
    };
  }

  /** Settles successful attempts; returns, per lease, whether it was still owned. */
  async complete(leases: readonly HeldLease[]): Promise<boolean[]> {
    const k = this.keys;
    const keys = [k.inflight, k.events, k.statsMinutes];
    const args: (string | number)[] = [this.maxEvents, this.jobs.retention.completedS];
    for (const lease of leases) {
      keys.push(k.hash(lease.id));
      args.push(lease.id, lease.token, lease.type, lease.priority);
    }
    const codes = (await this.scripts.run('completeJobs', keys, args)) as number[];
    return codes.map((code) => code === 1);
  }

  async fail(lease: HeldLease, reason: string, policy: RetryPolicy): Promise<FailOutcome> {
    const k = this.keys;
    const code = await this.scripts.run(
      'failJob',
      [
        k.inflight,
        k.delayed,
        k.hash(lease.id),
        k.wake,
        k.index('failed'),
        k.index('cancelled'),
        k.events,
        k.statsMinutes,
      ],
      [
        this.maxEvents,
        lease.id,
        lease.token,
        reason,
        this.jobs.maxRetries,
        policy.delayMs,
        policy.permanent ? '1' : '0',
        this.jobs.retention.failedS,
        indexMember(lease.id, recipientOf(lease.payload)),
        lease.type,
        lease.priority,
      ],
    );
    if (code === 1) return 'retry-scheduled';
    if (code === 2) return 'failed';
    if (code === 3) return 'cancelled';
    return 'lease-lost';
  }

  /**
   * Extends every given lease. Returns the tokens of leases that were lost, and of
   * attempts whose cancellation was requested.
   */
  async extendLeases(
    leases: readonly Lease[],
    leaseMs: number,
  ): Promise<{ lost: string[]; cancel: string[] }> {
    if (leases.length === 0) return { lost: [], cancel: [] };
    const keys = [this.keys.inflight];
    const args: (string | number)[] = [leaseMs];
    for (const lease of leases) {
      keys.push(this.keys.hash(lease.id));
      args.push(lease.id, lease.token);
    }
    const [lost, cancel] = (await this.scripts.run('extendLeases', keys, args)) as [
      string[],
      string[],
    ];
    return { lost, cancel };
  }

  /** Jobs with an expired lease: back to their ready list, or ended (see recoverExpired-8.lua). */
  async recoverExpired(): Promise<Recovered[]> {
    const k = this.keys;
    const reply = (await this.scripts.run(
      'recoverExpired',
      [
        k.inflight,
        k.high,
        k.low,
        k.wake,
        k.index('failed'),
        k.index('cancelled'),
        k.events,
        k.statsMinutes,
      ],
      [
        k.hashPrefix,
        RECOVER_LIMIT,
        this.maxEvents,
        this.jobs.maxStalls,
        this.jobs.retention.failedS,
      ],
    )) as (string | number)[];
    const recovered: Recovered[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      recovered.push({
        id: String(reply[i]),
        outcome: reply[i + 1] as Recovered['outcome'],
        stallCount: Number(reply[i + 2]),
      });
    }
    return recovered;
  }

  /** Hands jobs back to the queue (shutdown); returns how many were still owned. */
  async release(leases: readonly HeldLease[]): Promise<number> {
    if (leases.length === 0) return 0;
    const k = this.keys;
    const keys = [k.inflight, k.high, k.low, k.wake, k.index('cancelled'), k.events];
    const args: (string | number)[] = [this.maxEvents, this.jobs.retention.failedS];
    for (const lease of leases) {
      keys.push(k.hash(lease.id));
      args.push(lease.id, lease.token, indexMember(lease.id, recipientOf(lease.payload)));
    }
    return Number(await this.scripts.run('releaseJobs', keys, args));
  }

  async cancel(jobId: string): Promise<CancelOutcome> {
    const k = this.keys;
    const code = Number(
      await this.scripts.run(
        'cancelJob',
        [k.hash(jobId), k.high, k.low, k.delayed, k.index('cancelled'), k.events],
        [this.maxEvents, jobId, this.jobs.retention.failedS, k.control],
      ),
    );
    if (code === 1) return 'cancelled';
    if (code === 2) return 'cancel-requested';
    if (code === 0) return 'not-cancellable';
    return 'not-found';
  }

  /** Runs finished jobs again as new ones; per id: 1 retried, 0 not retryable, -1 no such job. */
  async retry(jobIds: readonly string[], filter: RetryFilter): Promise<number[]> {
    if (jobIds.length === 0) return [];
    const k = this.keys;
    const keys = [k.high, k.low, k.wake, k.index('failed'), k.index('cancelled'), k.events];
    const args: (string | number)[] = [
      this.maxEvents,
      filter.withCancelled ? '1' : '0',
      filter.jobType ?? '',
      filter.priority ?? '',
    ];
    for (const id of jobIds) {
      keys.push(k.hash(id));
      args.push(id);
    }
    return (await this.scripts.run('retryJobs', keys, args)) as number[];
  }
}

function dueArgument(job: NewJob): string {
  if (!job.due) return '';
  if ('delayMs' in job.due) return job.due.delayMs > 0 ? `+${job.due.delayMs}` : '';
  return `@${job.due.atMs}`;
}
