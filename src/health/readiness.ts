import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisConfig } from '../config/configuration';
import { queueNode, RedisClient } from '../redis/redis-connection';
import { REDIS_CLIENT } from '../redis/redis.constants';

/** A check answers within this long, or counts as down. */
export const CHECK_TIMEOUT_MS = 800;

export interface CheckResult {
  status: 'up' | 'down';
  /** Why it is down (never a secret). */
  detail?: string;
}

/**
 * One condition for taking traffic or work. Modules add their own through
 * `Readiness.add` (for example, a delivery transport whose configuration the peer
 * refuses), so the readiness answer grows without this module knowing them.
 */
export interface ReadinessCheck {
  /** The key in the report: `redis`, `process`, `delivery`... */
  readonly name: string;
  check(): Promise<CheckResult>;
}

export interface ReadinessReport {
  status: 'ok' | 'error';
  checks: Record<string, CheckResult>;
  /** Names of the checks that are down, when any is. */
  failed?: string[];
}

/**
 * True when Redis answers PING within `timeoutMs`. With the queue's `prefix`, on a
 * cluster the primary that holds the queue is asked (not any node).
 */
export async function pingWithin(
  redis: RedisClient,
  timeoutMs = CHECK_TIMEOUT_MS,
  prefix?: string,
): Promise<boolean> {
  let ping: Promise<unknown>;
  try {
    ping = (prefix === undefined ? redis : queueNode(redis, prefix)).ping();
  } catch {
    return false; // a cluster that knows no primary yet
  }
  return Promise.race([
    ping.then(
      () => true,
      () => false,
    ),
    sleep(timeoutMs, false, { ref: false }),
  ]);
}

async function bounded(check: ReadinessCheck): Promise<CheckResult> {
  try {
    return await Promise.race([
      check.check(),
      sleep(
        CHECK_TIMEOUT_MS,
        { status: 'down', detail: `no answer within ${CHECK_TIMEOUT_MS} ms` } as const,
        {
          ref: false,
        },
      ),
    ]);
  } catch (error) {
    return { status: 'down', detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Whether this process should get traffic (the API) or is fit to work (the worker):
 * Redis answers, the process is not shutting down, and every check other modules
 * added passes. Shutting down starts when the application begins to close (the
 * worker then drains for up to WORKER_SHUTDOWN_TIMEOUT_MS while still answering).
 */
@Injectable()
export class Readiness implements OnModuleDestroy {
  private readonly checks: ReadinessCheck[] = [];
  private closing = false;

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    @Optional()
    @Inject(redisConfig.KEY)
    config?: Pick<ConfigType<typeof redisConfig>, 'queuePrefix'>,
  ) {
    this.add({
      name: 'redis',
      check: async () =>
        (await pingWithin(redis, CHECK_TIMEOUT_MS, config?.queuePrefix))
          ? { status: 'up' }
          : { status: 'down', detail: `no reply to PING within ${CHECK_TIMEOUT_MS} ms` },
    });
    this.add({
      name: 'process',
      check: () =>
        Promise.resolve(
          this.closing ? { status: 'down', detail: 'shutting down' } : { status: 'up' },
        ),
    });
  }

  add(check: ReadinessCheck): void {
    if (this.checks.some((c) => c.name === check.name)) {
      throw new Error(`A readiness check named "${check.name}" exists already`);
    }
    this.checks.push(check);
  }

  /** Called first when the application closes, before the worker drains. */
  onModuleDestroy(): void {
    this.closing = true;
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map(bounded));
    const checks = Object.fromEntries(this.checks.map((c, i) => [c.name, results[i]]));
    const failed = this.checks.filter((_, i) => results[i].status === 'down').map((c) => c.name);
    return failed.length === 0 ? { status: 'ok', checks } : { status: 'error', checks, failed };
  }
}
