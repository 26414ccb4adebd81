import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { redisConfig } from '../config/configuration';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { JobKeys, Priority } from './job-keys';
import { JobScripts } from './job-scripts';
import { JobError, JobErrorCode } from './job.errors';
import {
  ClaimResult,
  ClaimedJob,
  FailOutcome,
  JobRecord,
  JobStatus,
  Lease,
  NewJob,
} from './job.types';

/** How many due retries one claim promotes at most (bounds the script's run time). */
const PROMOTE_LIMIT = 1000;
/** How many expired leases one recover call handles at most. */
const RECOVER_LIMIT = 1000;

export interface RetryPolicy {
  maxRetries: number;
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

export interface RetentionPolicy {
  completedS: number;
  failedS: number;
}

/**
 * The queue's storage: every read and write of job state goes through here, and
 * every multi-key change is one of the Lua scripts in lua/.
 */
@Injectable()
export class JobRepository {
  readonly keys: JobKeys;
  private readonly scripts: JobScripts;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(redisConfig.KEY) config: ConfigType<typeof redisConfig>,
  ) {
    this.keys = new JobKeys(config.queuePrefix);
    this.scripts = JobScripts.on(redis);
  }

  /** Creates all jobs or none, in order. */
  async submit(jobs: readonly NewJob[]): Promise<void> {
    const { keys, args } = this.jobArguments(jobs, [this.keys.wake], []);
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
      [this.keys.wake, this.keys.idempotency(once.scope)],
      [once.fingerprint, once.ttlS],
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
    keys: string[],
    args: (string | number)[],
  ): { keys: string[]; args: (string | number)[] } {
    for (const job of jobs) {
      keys.push(this.keys.hash(job.id), this.keys.queue(job.priority));
      args.push(job.id, job.type, job.priority, job.payloadJson);
    }
    return { keys, args };
  }

  async find(jobId: string): Promise<JobRecord | null> {
    const fields = await this.redis.hgetall(this.keys.hash(jobId));
    if (!fields.job_id) return null;
    return toJobRecord(fields);
  }

  async claim(maxJobs: number, leaseMs: number, tokenPrefix: string): Promise<ClaimResult> {
    const k = this.keys;
    const reply = (await this.scripts.run(
      'claimJobs',
      [k.high, k.low, k.delayed, k.inflight, k.wake],
      [k.hashPrefix, maxJobs, leaseMs, tokenPrefix, PROMOTE_LIMIT],
    )) as (string | number)[];
    const jobs: ClaimedJob[] = [];
    for (let i = 1; i < reply.length; i += 6) {
      jobs.push({
        id: String(reply[i]),
        token: String(reply[i + 1]),
        type: String(reply[i + 2]),
        payloadJson: String(reply[i + 3]),
        retryCount: Number(reply[i + 4]),
        priority: reply[i + 5] as Priority,
      });
    }
    const nextDue = Number(reply[0]);
    return { jobs, nextDueInMs: nextDue < 0 ? null : nextDue };
  }

  /** Settles successful attempts; returns, per lease, whether it was still owned. */
  async complete(leases: readonly Lease[], retention: RetentionPolicy): Promise<boolean[]> {
    const keys = [this.keys.inflight];
    const args: (string | number)[] = [retention.completedS];
    for (const lease of leases) {
      keys.push(this.keys.hash(lease.id));
      args.push(lease.id, lease.token);
    }
    const codes = (await this.scripts.run('completeJobs', keys, args)) as number[];
    return codes.map((code) => code === 1);
  }

  async fail(
    lease: Lease,
    reason: string,
    policy: RetryPolicy,
    retention: RetentionPolicy,
  ): Promise<FailOutcome> {
    const k = this.keys;
    const code = await this.scripts.run(
      'failJob',
      [k.inflight, k.delayed, k.hash(lease.id), k.wake],
      [
        lease.id,
        lease.token,
        reason,
        policy.maxRetries,
        policy.delayMs,
        policy.permanent ? '1' : '0',
        retention.failedS,
      ],
    );
    if (code === 1) return 'retry-scheduled';
    if (code === 2) return 'failed';
    return 'lease-lost';
  }

  /** Extends every given lease; returns the tokens of leases that were lost. */
  async extendLeases(leases: readonly Lease[], leaseMs: number): Promise<string[]> {
    if (leases.length === 0) return [];
    const keys = [this.keys.inflight];
    const args: (string | number)[] = [leaseMs];
    for (const lease of leases) {
      keys.push(this.keys.hash(lease.id));
      args.push(lease.id, lease.token);
    }
    return (await this.scripts.run('extendLeases', keys, args)) as string[];
  }

  /** Puts jobs with an expired lease back in their ready list; returns their ids. */
  async recoverExpired(): Promise<string[]> {
    const k = this.keys;
    return (await this.scripts.run(
      'recoverExpired',
      [k.inflight, k.high, k.low, k.wake],
      [k.hashPrefix, RECOVER_LIMIT],
    )) as string[];
  }

  /** Hands jobs back to the queue (shutdown); returns how many were still owned. */
  async release(leases: readonly Lease[]): Promise<number> {
    if (leases.length === 0) return 0;
    const k = this.keys;
    const keys = [k.inflight, k.high, k.low, k.wake];
    const args: string[] = [];
    for (const lease of leases) {
      keys.push(k.hash(lease.id));
      args.push(lease.id, lease.token);
    }
    return Number(await this.scripts.run('releaseJobs', keys, args));
  }
}

function toTimestamp(value: string | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Written by something other than this service: show it as it is.
    return text;
  }
}

function toJobRecord(f: Record<string, string>): JobRecord {
  const record: JobRecord = {
    job_id: f.job_id,
    job_type: f.job_type,
    priority: f.priority as Priority,
    payload: parsePayload(f.payload),
    status: f.status as JobStatus,
    retry_count: Number(f.retry_count ?? 0),
    created_ts: toTimestamp(f.created_ts),
    picked_ts: toTimestamp(f.picked_ts),
    completed_ts: toTimestamp(f.completed_ts),
    available_after: toTimestamp(f.available_after),
  };
  if (f.last_error) record.last_error = f.last_error;
  return record;
}
