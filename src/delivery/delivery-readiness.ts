import { Injectable, OnModuleInit } from '@nestjs/common';
import { Readiness } from '../health/readiness';
import { DeliveryHealth } from './delivery-health';

/**
 * Adds the `delivery` readiness check: down while a transport's configuration is
 * refused by its peer (SMTP authentication or TLS), so /health/ready shows it.
 */
@Injectable()
export class DeliveryReadiness implements OnModuleInit {
  constructor(
    private readonly readiness: Readiness,
    private readonly health: DeliveryHealth,
  ) {}

  onModuleInit(): void {
    this.readiness.add({
      name: 'delivery',
      check: () =>
        Promise.resolve(
          this.health.healthy
            ? { status: 'up' }
            : {
                status: 'down',
                detail: this.health
                  .problems()
                  .map((p) => `${p.transport} ${p.target}: ${p.message}`)
                  .join('; '),
              },
        ),
    });
  }
}
