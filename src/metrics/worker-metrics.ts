import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { WorkerService } from '../worker/worker.service';
import { JobMetrics } from './job-metrics';

/**
 * Hangs the job metrics on the worker's events. The worker module is built per
 * process kind (in the API, or headless), so its service is looked up rather than
 * imported; a process without a worker simply has none.
 */
@Injectable()
export class WorkerMetrics implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: JobMetrics,
  ) {}

  onModuleInit(): void {
    let worker: WorkerService;
    try {
      worker = this.moduleRef.get(WorkerService, { strict: false });
    } catch {
      return;
    }
    // Before onApplicationBootstrap, where the worker starts: no attempt is missed.
    worker.events.on('attempt', (job) => this.metrics.picked(job));
    worker.events.on('settled', (settled) => this.metrics.settled(settled));
    worker.events.on('recovered', (jobs) => this.metrics.recovered(jobs));
  }
}
