import { Module } from '@nestjs/common';
import { BulkOperations } from './bulk-operations';
import { IndexUpkeep } from './index-upkeep';
import { JobListing } from './job-listing';
import { JobRepository } from './job.repository';
import { QueueStats } from './queue-stats';
import { Replication } from './replication';
import { WorkSignal } from './work-signal';
import { WorkerRegistry } from './worker-registry';

/**
 * The storage core: job state in Redis, changed only through the Lua scripts in
 * lua/, with its listing indexes, statistics and worker registry. No HTTP.
 */
const providers = [
  JobRepository,
  WorkSignal,
  JobListing,
  QueueStats,
  IndexUpkeep,
  WorkerRegistry,
  BulkOperations,
  Replication,
];

@Module({ providers, exports: providers })
export class QueueModule {}
