import { Module } from '@nestjs/common';
import { JobRepository } from './job.repository';
import { WorkSignal } from './work-signal';

/** The storage core: job state in Redis, changed only through the Lua scripts in lua/. No HTTP. */
@Module({
  providers: [JobRepository, WorkSignal],
  exports: [JobRepository, WorkSignal],
})
export class QueueModule {}
