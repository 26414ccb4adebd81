import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/configuration';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { JobKeys } from './job-keys';

/**
 * The wake-up signal idle workers block on: a sorted set with one coalescing
 * member, so any number of signals while nobody waits wake one worker once.
 * Scripts that make work ready add to it themselves; this is for the worker's
 * own timers (a retry or a scheduled job falling due).
 */
@Injectable()
export class WorkSignal {
  private readonly key: string;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(redisConfig.KEY) config: Pick<ConfigType<typeof redisConfig>, 'queuePrefix'>,
  ) {
    this.key = new JobKeys(config.queuePrefix).wake;
  }

  /**
   * Blocks on `connection` (a dedicated one: blocking commands hold it) until a
   * job may be ready or `timeoutMs` passes. Returns true when woken by a signal.
   */
  async wait(connection: RedisClient, timeoutMs: number): Promise<boolean> {
    const reply = await connection.bzpopmin(this.key, Math.max(timeoutMs, 1) / 1000);
    return reply !== null;
  }

  /** Wakes one idle worker. */
  async signal(): Promise<void> {
    await this.redis.zadd(this.key, 0, 'w');
  }
}
