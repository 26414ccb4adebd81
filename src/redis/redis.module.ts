import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { redisConfig } from '../config/configuration';
import { REDIS_CLIENT } from './redis.constants';
import {
  createRedisConnection,
  describePersistence,
  RedisClient,
  waitUntilReady,
} from './redis-connection';

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [redisConfig.KEY],
      useFactory: async (config: ConfigType<typeof redisConfig>): Promise<RedisClient> => {
        const client = createRedisConnection(config, `${config.queuePrefix}:${process.pid}`);
        // Give the first connection a moment so the first requests do not fail needlessly;
        // if Redis is down the service starts anyway and answers 503 until it is back.
        await waitUntilReady(client, 2000);
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisModule.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(redisConfig.KEY) private readonly config: ConfigType<typeof redisConfig>,
  ) {}

  /**
   * Accepted jobs live only in Redis: say so loudly when it keeps nothing on disk.
   * Checked on every (re)connection, since a restarted Redis may have other settings.
   */
  onApplicationBootstrap(): void {
    this.redis.on('ready', this.checkPersistence);
    if (this.redis.status === 'ready') this.checkPersistence();
  }

  private readonly checkPersistence = (): void => {
    void describePersistence(this.redis, this.config.queuePrefix).then((persistence) => {
      if (persistence !== 'none') return;
      this.logger.warn(
        'Redis has no persistence (appendonly no, no RDB save points): accepted jobs are lost if Redis restarts. ' +
          'Enable AOF (appendonly yes, appendfsync everysec) for production.',
      );
    });
  };

  async onApplicationShutdown(): Promise<void> {
    this.redis.off('ready', this.checkPersistence);
    try {
      await this.redis.quit();
    } catch {
      // Redis already gone: nothing left to flush.
      this.redis.disconnect();
    }
    this.logger.log('Redis connection closed');
  }
}
