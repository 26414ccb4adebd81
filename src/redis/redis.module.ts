import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import Redis from 'ioredis';
import { redisConfig } from '../config/configuration';
import { REDIS_CLIENT } from './redis.constants';
import { createRedisConnection, waitUntilReady } from './redis-connection';

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [redisConfig.KEY],
      useFactory: async (config: ConfigType<typeof redisConfig>): Promise<Redis> => {
        const client = createRedisConnection(config.url, `${config.queuePrefix}:${process.pid}`);
        // Give the first connection a moment so the first requests do not fail needlessly;
        // if Redis is down the service starts anyway and answers 503 until it is back.
        await waitUntilReady(client, 2000);
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisModule.name);

  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      // Redis already gone: nothing left to flush.
      this.redis.disconnect();
    }
    this.logger.log('Redis connection closed');
  }
}
