import { Module } from '@nestjs/common';
import { MetricsCoreModule } from '../metrics/metrics.module';
import { QueueModule } from '../queue/queue.module';
import { OperationsController } from './operations.controller';
import { OperationsService } from './operations.service';

/** HTTP: find, steer and count jobs (GET /jobs, cancel, retry, purge, GET /stats). */
@Module({
  imports: [QueueModule, MetricsCoreModule],
  controllers: [OperationsController],
  providers: [OperationsService],
})
export class OperationsModule {}
