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
 * workers, evenly spaced (see claimJobs-7.lua): one every 1040 / limit ms, so ~96 %
 * of the limit is reached. A start may come up to `tolerance` ms early after a late
 * one (so a worker's timer running late does not lose the slot); k starts then span
 * at least (k - 1) * 1040 / limit - tolerance ms, and with a tolerance under 40 ms
 * no second ever holds more than the limit. What is left of the 40 ms (30 ms)
 * absorbs jitter between an attempt's start and its arrival at the server (a loaded
 * machine's event loop, a busy pooled connection): with 15 ms of margin a test run
 * beside the rest of the suite on two cores saw 21 sends in one server-side second.
 */
export const EMAIL_RATE_PERIOD_MS = 1040;

export function emailThrottle(limitPerS: number): ClaimThrottle {
  const interval = EMAIL_RATE_PERIOD_MS / limitPerS;
  return {
    type: 'send_email',
    limit: limitPerS,
    windowMs: EMAIL_RATE_PERIOD_MS,
    toleranceMs: Math.min(interval / 2, 10),
    // One claim reserves the next half second's slots: a worker held back by the rate
    // looks again a few times a second, not once per slot.
    horizonMs: 500,
  };
}

const claimThrottle: Provider = {
  provide: CLAIM_THROTTLE,
  inject: [emailConfig.KEY],
  useFactory: (email: ConfigType<typeof emailConfig>): ClaimThrottle | undefined =>
    email.rateLimitPerS > 0 ? emailThrottle(email.rateLimitPerS) : undefined,
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
