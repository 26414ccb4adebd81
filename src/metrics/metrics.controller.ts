import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { Public } from '../security/security.decorators';

/**
 * GET /metrics in the Prometheus text format: open like /health unless
 * METRICS_REQUIRE_KEY=true (then the API key guard applies). Not rate-limited.
 */
@ApiExcludeController()
@Public('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
