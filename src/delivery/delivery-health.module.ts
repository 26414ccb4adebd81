import { Module } from '@nestjs/common';
import { DeliveryHealth } from './delivery-health';

/**
 * One DeliveryHealth per process: the transports write it, a readiness check reads
 * it (import this module to inject DeliveryHealth).
 */
@Module({
  providers: [{ provide: DeliveryHealth, useFactory: () => new DeliveryHealth() }],
  exports: [DeliveryHealth],
})
export class DeliveryHealthModule {}
