import { Module } from '@nestjs/common';
import { ReadinessModule } from '../health/readiness.module';
import { DeliveryHealth } from './delivery-health';
import { DeliveryReadiness } from './delivery-readiness';

/**
 * One DeliveryHealth per process: the transports write it, the `delivery` readiness
 * check reads it (import this module to inject DeliveryHealth).
 */
@Module({
  imports: [ReadinessModule],
  providers: [
    { provide: DeliveryHealth, useFactory: () => new DeliveryHealth() },
    DeliveryReadiness,
  ],
  exports: [DeliveryHealth],
})
export class DeliveryHealthModule {}
