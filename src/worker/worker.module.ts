import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { emailConfig, workerConfig } from '../config/configuration';
import { HandlersModule } from '../handlers/handlers.module';
import { ClaimThrottle } from '../queue/job.types';
import { QueueModule } from '../queue/queue.module';
import { CLAIM_THROTTLE, WORKER_AUTOSTART } from './worker.constants';
import { WorkerService } from './worker.service';

/**
 * EMAIL_RATE_LIMIT_PER_S: send_email attempts start at most that often across all
 * workers, evenly spaced (see claimJobs-7.lua). The period is 3 % longer than a
 * second: any second then holds at most the limit even with the one early start
 * the spacing tolerates, and jitter between an attempt's start and its delivery
 * does not put one more message in a second as the receiving server sees it. The
 * rate achieved is ~97 % of the limit.
 */
export const EMAIL_RATE_PERIOD_MS = 1030;

const claimThrottle: Provider = {
  provide: CLAIM_THROTTLE,
  inject: [emailConfig.KEY],
  useFactory: (email: ConfigType<typeof emailConfig>): ClaimThrottle | undefined =>
    email.rateLimitPerS > 0
      ? { type: 'send_email', limit: email.rateLimitPerS, windowMs: EMAIL_RATE_PERIOD_MS }
      : undefined,
};

@Module({})
export class WorkerModule {
  /** Inside the API process: runs unless WORKER_ENABLED=false. */
  static inApiProcess(): DynamicModule {
    return WorkerModule.build({
      provide: WORKER_AUTOSTART,
      inject: [workerConfig.KEY],
      useFactory: (config: ConfigType<typeof workerConfig>) => config.enabled,
    });
  }

  /** The headless worker process: always runs. */
  static headless(): DynamicModule {
    return WorkerModule.build({ provide: WORKER_AUTOSTART, useValue: true });
  }

  private static build(autostart: Provider): DynamicModule {
    return {
      module: WorkerModule,
      imports: [QueueModule, HandlersModule],
      providers: [autostart, claimThrottle, WorkerService],
      exports: [WorkerService],
    };
  }
}
