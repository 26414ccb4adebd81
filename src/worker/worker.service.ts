import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobsConfig, redisConfig, workerConfig } from '../config/configuration';
import { isPermanentJobError, retryAfterMsOf } from '../handlers/job-handler';
import { JobHandlerRegistry } from '../handlers/job-handler.registry';
import { jobFields, recipientDomain, withoutMailboxes } from '../logging/job-log';
import { IndexUpkeep } from '../queue/index-upkeep';
import { JobRepository } from '../queue/job.repository';
import { ClaimedJob, ClaimThrottle, FailOutcome, HeldLease, Recovered } from '../queue/job.types';
import { WorkSignal } from '../queue/work-signal';
import { WorkerRegistry } from '../queue/worker-registry';
import { REDIS_CLIENT } from '../redis/redis.constants';
import {
  createRedisConnection,
  isRedisUnavailableError,
  queueNode,
  RedisClient,
} from '../redis/redis-connection';
import { serverUptimeMs } from '../redis/server-info';
import { tryLock } from '../redis/lock';
import { backoffDelayMs } from './backoff';
import { CompletionBatcher } from './completion-batcher';
import { AttemptOutcome, RecoveredJob, WorkerEvents } from './worker-events';
import {
  CLAIM_AHEAD_MAX_RUN_MS,
  CLAIM_AHEAD_MAX_WAIT_MS,
  CLAIM_THROTTLE,
  IDLE_BLOCK_MS,
  UPKEEP_BUDGET,
  UPKEEP_EVERY_MS,
  WORKER_AUTOSTART,
} from './worker.constants';

interface ActiveJob {
  job: ClaimedJob;
  lease: HeldLease;
  abort: AbortController;
  /** Set when the lease was revoked or handed back: the attempt's result is discarded. */
  lost: boolean;
  /** Set once the attempt's outcome is being recorded: a lease "lost" from now on was released by that. */
  settling: boolean;
  /** Why the attempt was stopped from here, if it was. */
  stopReason?: 'cancel' | 'timeout';
  /** Handed back to the queue at shutdown (logged as such, not as a lost lease). */
  handedBack?: boolean;
  /** Set while a job claimed ahead waits for a slot: called with whether to run it. */
  startWhenFree?: (run: boolean) => void;
  /** When it was claimed ahead (performance.now()). */
  aheadSince?: number;
  done: Promise<void>;
}

type Outcome =
  { ok: true } | { ok: false; reason: string; permanent: boolean; retryAfterMs: number };

const MAX_ERROR_LENGTH = 1000;

/**
 * The claim / process / settle loop. Up to WORKER_CONCURRENCY jobs run at once,
 * each under its own lease; one heartbeat call extends all of them. When nothing
 * is ready the loop blocks in Redis on the wake-up set until a job is submitted,
 * a scheduled job or retry falls due, or IDLE_BLOCK_MS passes.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly events = new WorkerEvents();
  private readonly active = new Map<string, ActiveJob>(); // by lease token
  /**
   * Attempts still running their handler: what WORKER_CONCURRENCY bounds. An attempt
   * whose outcome is being recorded frees its slot at once, so the next claim goes
   * out while the completion is in flight instead of after it.
   */
  private running = 0;
  /** Jobs claimed ahead of a free slot (their leases held), oldest first. */
  private readonly claimedAhead: ActiveJob[] = [];
  private aheadTimer?: NodeJS.Timeout;
  /** Moving average of attempts' run time, ms: claiming ahead is for short jobs only. */
  private runMsAverage = Infinity;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private claimSeq = 0;
  private startedTs = 0;
  private loopDone?: Promise<void>;
  private blocking?: RedisClient;
  private control?: RedisClient;
  private heartbeatTimer?: NodeJS.Timeout;
  private recoveryTimer?: NodeJS.Timeout;
  private upkeepTimer?: NodeJS.Timeout;
  private slotFreed?: () => void;
  private pauseAbort?: AbortController;
  /**
   * Ends the current idle wait early (stop() calls it). A fresh function per wait:
   * racing every wait against one long-lived "stop requested" promise instead would
   * leave a reaction on that promise per wait, kept until shutdown (a leak of ~300
   * bytes per idle cycle, hundreds of times a second under load).
   */
  private wakeFromIdle?: () => void;
  /**
   * After Redis comes back, live workers get one lease period to heartbeat before
   * anyone recovers (their deadlines passed while Redis was away). Any `ready`
   * after start() is such a return: a first connection too, when this worker
   * started while Redis was down.
   */
  private recoveryPausedUntil = 0;
  private readonly onRedisReady = (): void => {
    this.recoveryPausedUntil = Date.now() + this.config.leaseMs;
  };
  private readonly completions = new CompletionBatcher((leases) =>
    this.repository.complete(leases),
  );

  constructor(
    private readonly repository: JobRepository,
    private readonly signal: WorkSignal,
    private readonly registry: WorkerRegistry,
    private readonly upkeep: IndexUpkeep,
    private readonly handlers: JobHandlerRegistry,
    @Inject(workerConfig.KEY) private readonly config: ConfigType<typeof workerConfig>,
    @Inject(jobsConfig.KEY) private readonly jobs: ConfigType<typeof jobsConfig>,
    @Inject(redisConfig.KEY) private readonly redisSettings: ConfigType<typeof redisConfig>,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(WORKER_AUTOSTART) private readonly autostart: boolean,
    @Inject(CLAIM_THROTTLE) private readonly throttle: ClaimThrottle | undefined,
    @InjectPinoLogger('Worker') private readonly logger: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.autostart) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  get activeCount(): number {
    return this.active.size;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`Worker cannot start: it is ${this.state}`);
    this.state = 'running';
    this.startedTs = Date.now() / 1000;
    this.redis.on('ready', this.onRedisReady);
    const prefix = this.redisSettings.queuePrefix;
    // Blocking commands hold their connection, so the wait gets one of its own.
    // It queues commands while Redis is away: waiting is all it does.
    this.blocking = createRedisConnection(
      this.redisSettings,
      `${prefix}:worker-wait:${process.pid}`,
      { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined },
    );
    this.listenForCancels(prefix);
    const heartbeatEvery = Math.max(Math.floor(this.config.leaseMs / 3), 100);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatEvery);
    const recoverEvery = Math.min(Math.max(Math.floor(this.config.leaseMs / 2), 250), 15_000);
    this.recoveryTimer = setInterval(() => void this.recover(), recoverEvery);
    this.upkeepTimer = setTimeout(() => void this.runUpkeep(), UPKEEP_EVERY_MS);
    this.heartbeatTimer.unref();
    this.recoveryTimer.unref();
    this.upkeepTimer.unref();
    void this.heartbeat();
    void this.recover();
    this.loopDone = this.loop();
    this.logger.info(
      { worker_id: this.workerId, concurrency: this.config.concurrency },
      `Worker ${this.workerId} started (concurrency ${this.config.concurrency})`,
    );
  }

  /**
   * Stops claiming, lets in-flight jobs finish within WORKER_SHUTDOWN_TIMEOUT_MS,
   * and hands back to the queue whatever did not finish.
   */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    clearInterval(this.recoveryTimer);
    clearTimeout(this.upkeepTimer);
    this.redis.off('ready', this.onRedisReady);
    this.wakeFromIdle?.();
    this.blocking?.disconnect();
    this.slotFreed?.();
    this.pauseAbort?.abort();
    await this.loopDone;

    // Jobs claimed ahead have not started: they go back to the queue now, not run.
    clearTimeout(this.aheadTimer);
    await this.returnAhead(this.claimedAhead.length);
    if (this.active.size > 0) {
      this.logger.info(
        { jobs: this.active.size, timeout_ms: this.config.shutdownTimeoutMs },
        `Waiting up to ${this.config.shutdownTimeoutMs} ms for ${this.active.size} job(s)`,
      );
      const allDone = Promise.all([...this.active.values()].map((job) => job.done));
      const timeout = sleep(this.config.shutdownTimeoutMs, 'timeout' as const, { ref: false });
      await Promise.race([allDone, timeout]);
    }
    if (this.active.size > 0) await this.handBack([...this.active.values()], 'timeout');
    clearInterval(this.heartbeatTimer);
    this.control?.disconnect();
    await this.registry.remove(this.workerId).catch(() => undefined);
    this.state = 'stopped';
    this.logger.info({ worker_id: this.workerId }, `Worker ${this.workerId} stopped`);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.state === 'running') {
      try {
        const free =
          this.config.concurrency + this.aheadAllowance() - this.running - this.claimedAhead.length;
        if (free <= 0) {
          await new Promise<void>((resolve) => (this.slotFreed = resolve));
          this.slotFreed = undefined;
          continue;
        }
        const tokenPrefix = `${this.workerId}:${++this.claimSeq}`;
        this.completions.sendPending();
        const { jobs, nextDueInMs, throttledForMs } = await this.repository.claim(
          free,
          this.config.leaseMs,
          tokenPrefix,
          this.throttle,
        );
        if (failures > 0) this.logger.info('Redis reachable again: claiming resumed');
        failures = 0;
        for (const job of jobs) this.begin(job);
        if (jobs.length === 0) await this.idle(earliest(nextDueInMs, throttledForMs));
      } catch (error) {
        if (this.state !== 'running') break;
        failures += 1;
        if (failures === 1 || failures % 50 === 0) {
          this.logger.warn(
            { failures, error: describe(error) },
            `Cannot claim (attempt ${failures}): ${describe(error)}; retrying`,
          );
        }
        await this.pause(Math.min(50 * 2 ** failures, 2000));
      }
    }
  }

  /**
   * Blocks until a job is submitted or recovered, `lookAgainInMs` passes (a
   * scheduled job or retry falls due, or a rate-limited type may start again), or
   * IDLE_BLOCK_MS passes. Redis checks blocking timeouts on its own timer (every
   * ~100 ms), so a time sooner than that is kept from here, on time.
   */
  private async idle(lookAgainInMs: number | null): Promise<void> {
    if (this.state !== 'running') return; // stop() came while the claim was in flight
    this.events.emit('idle');
    let dueTimer: NodeJS.Timeout | undefined;
    if (lookAgainInMs !== null && lookAgainInMs < IDLE_BLOCK_MS) {
      dueTimer = setTimeout(() => {
        this.signal.signal().catch(() => undefined);
      }, lookAgainInMs);
    }
    try {
      // While Redis is away the wait sits in the connection's offline queue, which a
      // disconnect does not always reject: stop() ends the wait through wakeFromIdle.
      await new Promise<void>((resolve) => {
        this.wakeFromIdle = resolve;
        this.signal.wait(this.blocking as RedisClient, IDLE_BLOCK_MS).then(
          () => resolve(),
          () => resolve(),
        );
      });
    } finally {
      this.wakeFromIdle = undefined;
      clearTimeout(dueTimer);
    }
  }

  /**
   * How many jobs may be claimed beyond the free slots. While attempts take a
   * millisecond or two, the worker and Redis would otherwise take turns (Redis
   * idle while the worker runs a batch, the worker idle while Redis claims the
   * next): the next batch is claimed while this one runs. Long jobs never wait
   * behind others here, and a rate-limited type's slots are not held.
   */
  private aheadAllowance(): number {
    if (!this.config.claimAhead || this.throttle) return 0;
    return this.runMsAverage <= CLAIM_AHEAD_MAX_RUN_MS ? this.config.concurrency : 0;
  }

  /**
   * Jobs claimed ahead that have waited CLAIM_AHEAD_MAX_WAIT_MS for a slot (this
   * worker's attempts turned slow) go back to the queue, to another worker.
   */
  private returnStaleAhead(): void {
    this.aheadTimer = undefined;
    const cutoff = performance.now() - CLAIM_AHEAD_MAX_WAIT_MS;
    const fresh = this.claimedAhead.findIndex((entry) => (entry.aheadSince ?? 0) > cutoff);
    const stale = fresh === -1 ? this.claimedAhead.length : fresh;
    if (stale > 0) {
      // No more claiming ahead until an attempt ends and says how long attempts take now.
      this.runMsAverage = Infinity;
      void this.returnAhead(stale);
    }
    this.watchAhead();
  }

  private watchAhead(): void {
    const oldest = this.claimedAhead[0];
    if (!oldest || this.aheadTimer || this.state !== 'running') return;
    const dueIn = (oldest.aheadSince ?? 0) + CLAIM_AHEAD_MAX_WAIT_MS - performance.now();
    this.aheadTimer = setTimeout(() => this.returnStaleAhead(), Math.max(1, Math.ceil(dueIn)));
    this.aheadTimer.unref();
  }

  /** Hands the `count` oldest jobs claimed ahead back to the queue (they never ran here). */
  private async returnAhead(count: number): Promise<void> {
    if (count <= 0) return;
    const entries = this.claimedAhead.splice(0, count);
    await this.handBack(entries, 'not started');
    for (const entry of entries) entry.startWhenFree?.(false);
    this.slotFreed?.();
  }

  private begin(job: ClaimedJob): void {
    const entry = {
      job,
      lease: {
        id: job.id,
        token: job.token,
        payload: job.payload,
        type: job.type,
        priority: job.priority,
      },
      abort: new AbortController(),
      lost: false,
      settling: false,
    } as ActiveJob;
    this.active.set(job.token, entry);
    entry.done = this.process(job, entry).finally(() => this.active.delete(job.token));
  }

  private async process(job: ClaimedJob, entry: ActiveJob): Promise<void> {
    if (this.running < this.config.concurrency) {
      this.running += 1;
    } else {
      // Claimed ahead: the attempt that ends next hands its slot over (running unchanged).
      entry.aheadSince = performance.now();
      this.claimedAhead.push(entry);
      this.watchAhead();
      const run = await new Promise<boolean>((resolve) => (entry.startWhenFree = resolve));
      entry.startWhenFree = undefined;
      if (!run) return; // handed back at shutdown
    }
    // A rate-limited job starts at its reserved slot (the lease and slot are held meanwhile).
    if (job.startDelayMs > 0) await sleep(job.startDelayMs);
    this.events.emit('attempt', job);
    const startedAt = performance.now();
    const outcome = await this.attempt(job, entry);
    const runMs = performance.now() - startedAt;
    this.runMsAverage =
      this.runMsAverage === Infinity ? runMs : this.runMsAverage * 0.9 + runMs * 0.1;
    this.freeSlot();
    let recorded: AttemptOutcome = 'discarded';
    if (entry.handedBack) {
      // Logged by handBack: a normal shutdown, not a lost lease.
    } else if (entry.lost) {
      this.logger.warn(
        { ...jobFields(job), run_ms: Math.round(runMs) },
        'Lease lost during the attempt: its result is discarded (the job runs again)',
      );
    } else {
      entry.settling = true;
      recorded = await this.settle(job, entry, outcome);
      // A line per success only at debug: at the default level successes are counted, not logged.
      if (recorded === 'success' && this.logger.logger.isLevelEnabled('debug')) {
        this.logger.debug({ ...jobFields(job), run_ms: Math.round(runMs) }, 'Job completed');
      }
    }
    this.events.emit('settled', {
      job,
      outcome: recorded,
      runMs,
      error: outcome.ok ? undefined : outcome.reason,
    });
  }

  /** An ended attempt's slot goes to the oldest job claimed ahead, if any. */
  private freeSlot(): void {
    const next = this.claimedAhead.shift();
    if (next) next.startWhenFree?.(true);
    else this.running -= 1;
    this.slotFreed?.();
  }

  /**
   * Runs the handler. An attempt past JOB_ATTEMPT_TIMEOUT_MS is aborted and counts
   * as failed at once, even if its handler ignores the signal and never returns.
   */
  private async attempt(job: ClaimedJob, entry: ActiveJob): Promise<Outcome> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A job claimed ahead may be cancelled, or its lease lost, before it starts.
      if (entry.stopReason || entry.lost) throw new Error('stopped before it started');
      const handler = this.handlers.get(job.type);
      if (!handler)
        throw Object.assign(new Error(`no handler for job_type "${job.type}"`), {
          code: 'JOB.PERMANENT_FAILURE',
        });
      const run = handler.instance.handle({
        jobId: job.id,
        payload: job.payload,
        attempt: job.retryCount + 1,
        signal: entry.abort.signal,
      });
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          entry.stopReason ??= 'timeout';
          entry.abort.abort(new Error('attempt timed out'));
          resolve();
        }, this.jobs.attemptTimeoutMs);
      });
      run.catch(() => undefined); // settled below, or abandoned after a timeout
      await Promise.race([run, timedOut]);
      if (entry.stopReason === 'timeout') throw new Error('aborted');
      return { ok: true };
    } catch (error) {
      return {
        ok: false,
        reason: this.failureReason(entry, error),
        permanent: isPermanentJobError(error),
        retryAfterMs: retryAfterMsOf(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private failureReason(entry: ActiveJob, error: unknown): string {
    if (entry.stopReason === 'timeout') {
      return `timeout: the attempt ran longer than JOB_ATTEMPT_TIMEOUT_MS (${this.jobs.attemptTimeoutMs} ms)`;
    }
    if (entry.stopReason === 'cancel')
      return 'cancelled: the attempt was aborted by a cancel request';
    return describe(error).slice(0, MAX_ERROR_LENGTH);
  }

  /** Records the attempt's outcome; retried while Redis is unreachable and the lease is ours. */
  private async settle(
    job: ClaimedJob,
    entry: ActiveJob,
    outcome: Outcome,
  ): Promise<AttemptOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (outcome.ok) {
          const owned = await this.completions.complete(entry.lease);
          if (!owned) {
            // Also seen when Redis applied an earlier try whose reply was lost in an outage.
            this.logger.warn(
              jobFields(job),
              'Completion refused: this worker no longer holds the lease',
            );
            return 'discarded';
          }
          return 'success';
        }
        const retry = job.retryCount + 1;
        // A peer's Retry-After that asks for longer than the backoff wins.
        const delayMs = Math.max(
          backoffDelayMs(this.jobs.backoffBaseMs, retry),
          outcome.retryAfterMs,
        );
        const result = await this.repository.fail(entry.lease, outcome.reason, {
          delayMs,
          permanent: outcome.permanent,
        });
        this.logFailure(job, outcome, result, delayMs);
        return result === 'retry-scheduled'
          ? 'retry'
          : result === 'lease-lost'
            ? 'discarded'
            : result;
      } catch (error) {
        if (entry.lost || !isRedisUnavailableError(error)) {
          // The lease will expire and the job will be recovered: nothing is lost.
          this.logger.error(
            { ...jobFields(job), error: describe(error) },
            'Could not record the result of the attempt; the job runs again once its lease expires',
          );
          return 'discarded';
        }
        await sleep(Math.min(50 * 2 ** attempt, 2000));
      }
    }
  }

  /**
   * Every failed attempt is logged with its reason at the default level: a retry at
   * info, a job that ends failed as a warning. Addresses in the reason show only
   * their domain.
   */
  private logFailure(
    job: ClaimedJob,
    outcome: Extract<Outcome, { ok: false }>,
    result: FailOutcome,
    delayMs: number,
  ): void {
    const fields = {
      ...jobFields(job),
      recipient_domain: recipientDomain(job.payload),
      error: withoutMailboxes(outcome.reason),
    };
    if (result === 'retry-scheduled') {
      this.logger.info({ ...fields, retry_in_ms: delayMs }, 'Attempt failed: retry scheduled');
    } else if (result === 'failed') {
      this.logger.warn(
        { ...fields, permanent: outcome.permanent },
        outcome.permanent ? 'Job failed: permanent error' : 'Job failed: no retries left',
      );
    } else if (result === 'cancelled') {
      this.logger.info(fields, 'Job cancelled: its attempt was aborted');
    } else {
      this.logger.warn(fields, 'Attempt failed after its lease was lost: result discarded');
    }
  }

  /** Cancel requests reach running attempts at once over the queue's control channel. */
  private listenForCancels(prefix: string): void {
    const channel = this.repository.keys.control;
    this.control = createRedisConnection(
      this.redisSettings,
      `${prefix}:worker-control:${process.pid}`,
      {
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        commandTimeout: undefined,
      },
    );
    this.control.on('message', (from: string, message: string) => {
      if (from !== channel || !message.startsWith('cancel ')) return;
      const jobId = message.slice('cancel '.length);
      for (const entry of this.active.values()) {
        if (entry.lease.id === jobId) this.cancelAttempt(entry);
      }
    });
    this.control.subscribe(channel).catch((error: unknown) => {
      this.logger.warn({ error: describe(error) }, 'Cannot listen for cancel requests');
    });
  }

  private cancelAttempt(entry: ActiveJob): void {
    if (entry.settling || entry.lost || entry.stopReason) return;
    entry.stopReason = 'cancel';
    entry.abort.abort(new Error('job cancelled'));
    this.logger.info(jobFields(entry.job), 'Cancel requested: attempt aborted');
  }

  private async heartbeat(): Promise<void> {
    await this.registry
      .heartbeat(
        {
          id: this.workerId,
          host: hostname(),
          pid: process.pid,
          concurrency: this.config.concurrency,
          active: this.running,
          started_ts: this.startedTs,
        },
        this.config.leaseMs * 2,
      )
      .catch((error: unknown) =>
        this.logger.debug({ error: describe(error) }, 'Presence heartbeat failed'),
      );
    if (this.active.size === 0) return;
    const entries = [...this.active.values()].filter((e) => !e.lost);
    try {
      const { lost, cancel } = await this.repository.extendLeases(
        entries.map((e) => e.lease),
        this.config.leaseMs,
      );
      for (const token of lost) {
        const entry = this.active.get(token);
        // A settling attempt's lease was just released by its own complete/fail call.
        if (!entry || entry.settling) continue;
        entry.lost = true;
        entry.abort.abort(new Error('lease lost'));
        this.logger.warn(
          jobFields(entry.job),
          'Lease lost (it expired and the job was recovered elsewhere): attempt aborted',
        );
      }
      for (const token of cancel) {
        const entry = this.active.get(token);
        if (entry) this.cancelAttempt(entry);
      }
    } catch (error) {
      this.logger.debug({ error: describe(error) }, 'Heartbeat failed');
    }
  }

  private async recover(): Promise<void> {
    if (Date.now() < this.recoveryPausedUntil) return;
    try {
      // A Redis that restarted less than a lease ago (from its AOF) holds leases whose
      // deadlines passed while it was down; their workers may be alive and about to
      // heartbeat. This also covers a worker that first connected after the restart.
      if (
        (await serverUptimeMs(queueNode(this.redis, this.redisSettings.queuePrefix))) <
        this.config.leaseMs
      )
        return;
      const recovered = await this.repository.recoverExpired();
      if (recovered.length === 0) return;
      const jobs = await this.describeRecovered(recovered);
      this.events.emit('recovered', jobs);
      for (const job of jobs) {
        const fields = { ...jobFields(job), stall_count: job.stallCount, outcome: job.outcome };
        if (job.outcome === 'failed') {
          this.logger.warn(
            fields,
            `Job stalled: its worker was lost ${job.stallCount} times, the job failed`,
          );
        } else {
          this.logger.warn(fields, `Job stalled: lease expired (worker lost), job ${job.outcome}`);
        }
      }
    } catch (error) {
      this.logger.debug({ error: describe(error) }, 'Recovery check failed');
    }
  }

  /** The type and attempt of recovered jobs, for their log lines and metrics (rare: one round trip). */
  private async describeRecovered(recovered: Recovered[]): Promise<RecoveredJob[]> {
    const pipeline = this.redis.pipeline();
    for (const { id } of recovered) {
      pipeline.hmget(this.repository.keys.hash(id), 'job_type', 'retry_count');
    }
    const replies = await pipeline.exec().catch(() => null);
    return recovered.map((job, i) => {
      const [type, retryCount] = (replies?.[i]?.[1] as (string | null)[] | undefined) ?? [];
      return { ...job, type: type ?? 'unknown', retryCount: Number(retryCount ?? 0) };
    });
  }

  /**
   * Index upkeep (expired jobs' entries): one worker at a time, under a short lock;
   * again soon while it has more to do than one round's budget.
   */
  private async runUpkeep(): Promise<void> {
    let more = false;
    try {
      const lock = this.repository.keys.lock('upkeep');
      if (await tryLock(this.redis, lock, this.workerId, UPKEEP_EVERY_MS * 3)) {
        more = (await this.upkeep.run(UPKEEP_BUDGET)).more;
      }
    } catch (error) {
      this.logger.debug({ error: describe(error) }, 'Index upkeep failed');
    }
    if (this.state !== 'running') return;
    this.upkeepTimer = setTimeout(() => void this.runUpkeep(), more ? 50 : UPKEEP_EVERY_MS);
    this.upkeepTimer.unref();
  }

  private async handBack(entries: ActiveJob[], why: 'timeout' | 'not started'): Promise<void> {
    for (const entry of entries) {
      entry.lost = true;
      entry.handedBack = true;
      entry.abort.abort(new Error('worker shutting down'));
    }
    try {
      const released = await this.repository.release(entries.map((e) => e.lease));
      if (why === 'not started') {
        this.logger.debug(
          { jobs: released },
          `Handed ${released} job(s) claimed ahead, not started, back to the queue`,
        );
        return;
      }
      for (const entry of entries) {
        this.logger.info(
          jobFields(entry.job),
          'Shutdown: attempt stopped, job handed back to the queue',
        );
      }
      this.logger.info(
        { jobs: released },
        `Shutdown timeout: handed ${released} unfinished job(s) back to the queue`,
      );
    } catch (error) {
      this.logger.error(
        { jobs: entries.length, error: describe(error) },
        `Could not hand back ${entries.length} job(s); they return to the queue when their lease expires`,
      );
    }
  }

  private async pause(ms: number): Promise<void> {
    this.pauseAbort = new AbortController();
    try {
      await sleep(ms, undefined, { signal: this.pauseAbort.signal });
    } catch {
      // interrupted by stop()
    }
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
