import { DynamicModule, Module, Provider } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { workerConfig } from '../config/configuration';
import { HandlersModule } from '../handlers/handlers.module';
import { QueueModule } from '../queue/queue.module';
import { WORKER_AUTOSTART } from './worker.constants';
import { WorkerService } from './worker.service';

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
      providers: [autostart, WorkerService],
      exports: [WorkerService],
    };
  }
}
