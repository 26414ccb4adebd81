import { Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ReadinessModule } from '../health/readiness.module';
import { QueueModule } from '../queue/queue.module';
import { HttpMetrics } from './http-metrics';
import { JobMetrics } from './job-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';
import { QueueMetrics } from './queue-metrics';
import { WorkerMetrics } from './worker-metrics';

const SUMMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * The process's metrics registry (one per application, not prom-client's global one,
 * so that several applications in one process, as in tests, do not collide), with
 * prom-client's default process metrics, the job metrics fed by the worker's events
 * and the submit and cancel paths, and the queue gauges read at scrape time.
 */
@Module({
  imports: [QueueModule],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        collectDefaultMetrics({ register: registry });
        // Gauges named like counters, which `promtool check metrics` rejects (prom-client
        // issue #283); each is the sum of its unsuffixed, per-type gauge.
        for (const name of SUMMED_GAUGES) registry.removeSingleMetric(name);
        return registry;
      },
    },
    JobMetrics,
    HttpMetrics,
    QueueMetrics,
    WorkerMetrics,
  ],
  exports: [Registry, JobMetrics, HttpMetrics],
})
export class MetricsCoreModule {}

/** The API: GET /metrics on its own port (HttpMetrics is hooked into Fastify in bootstrap.ts). */
@Module({ imports: [MetricsCoreModule], controllers: [MetricsController] })
export class MetricsModule {}

/** The headless worker: /metrics and the health probes on METRICS_PORT. */
@Module({ imports: [MetricsCoreModule, ReadinessModule], providers: [MetricsServer] })
export class WorkerMetricsModule {}
