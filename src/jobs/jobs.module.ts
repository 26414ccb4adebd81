import { Module } from '@nestjs/common';
import { HandlersModule } from '../handlers/handlers.module';
import { MetricsCoreModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { JobsController } from './jobs.controller';
import { JobPayloadValidation } from './job-payload-validation';
import { JobsService } from './jobs.service';

/** HTTP: submit jobs and read their status, on top of the queue core. */
@Module({
  imports: [QueueModule, HandlersModule, MetricsCoreModule],
  controllers: [JobsController],
  providers: [JobsService, JobPayloadValidation],
})
export class JobsModule {}
