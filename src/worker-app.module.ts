import { DynamicModule, Module } from '@nestjs/common';
import { configModule } from './config/config.module';
import { loggingModule } from './logging/logging.module';
import { WorkerMetricsModule } from './metrics/metrics.module';
import { RedisModule } from './redis/redis.module';
import { WorkerModule } from './worker/worker.module';

/** The headless worker: no HTTP server, only the claim / process / settle loop. */
@Module({})
export class WorkerAppModule {
  static forRoot(): DynamicModule {
    return {
      module: WorkerAppModule,
      imports: [
        configModule(),
        loggingModule(),
        RedisModule,
        WorkerModule.headless(),
        WorkerMetricsModule,
      ],
    };
  }
}
