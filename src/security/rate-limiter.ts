import type { RedisClient } from '../redis/redis-connection';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/configuration';
import { JobKeys } from '../queue/job-keys';
import { JobScripts } from '../queue/job-scripts';
import { REDIS_CLIENT } from '../redis/redis.constants';

export interface RateLimitDecision {
  allowed: boolean;
  retryInMs: number;
  remaining: number;
}

/** Request budgets kept in Redis, so every API instance shares them (GCRA: rateLimit-1.lua). */
@Injectable()
export class RateLimiter {
  private readonly keys: JobKeys;
  private readonly scripts: JobScripts;

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    @Inject(redisConfig.KEY) config: ConfigType<typeof redisConfig>,
  ) {
    this.keys = new JobKeys(config.queuePrefix);
    this.scripts = JobScripts.on(redis);
  }

  /** Counts one request of `principal` against `limit` per `periodMs`. */
  async take(principal: string, limit: number, periodMs: number): Promise<RateLimitDecision> {
    const [allowed, retryInMs, remaining] = (await this.scripts.run(
      'rateLimit',
      [this.keys.rateLimit(principal)],
      [periodMs, limit],
    )) as [number, number, number];
    return { allowed: allowed === 1, retryInMs, remaining };
  }
}
