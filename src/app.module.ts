import { DynamicModule, Module } from '@nestjs/common';
import { ValidationModule } from './common/validation/validation.module';
import { configModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DocsModule } from './docs/docs.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { loggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { EventsModule } from './events/events.module';
import { RedisModule } from './redis/redis.module';
import { SecurityModule } from './security/security.module';
import { WorkerModule } from './worker/worker.module';

/** The HTTP API, with a worker in the same process unless WORKER_ENABLED=false. */
@Module({})
export class AppModule {
  static forRoot(): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModule(),
        loggingModule(),
        RedisModule,
        ValidationModule,
        SecurityModule,
        JobsModule,
        OperationsModule,
        EventsModule,
        HealthModule,
        MetricsModule,
        DocsModule,
        DashboardModule,
        WorkerModule.inApiProcess(),
      ],
    };
  }
}
