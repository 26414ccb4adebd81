import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { EventHub } from './event-hub';
import { EventsController } from './events.controller';

/** HTTP: the job events stream, live (SSE), from one Redis reader per process. */
@Module({
  imports: [QueueModule],
  controllers: [EventsController],
  providers: [EventHub],
  exports: [EventHub],
})
export class EventsModule {}
