import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { readFileSync } from 'node:fs';
import { emailConfig } from '../config/configuration';
import { DeliveryHealth } from '../delivery/delivery-health';
import { DeliveryHealthModule } from '../delivery/delivery-health.module';
import { EMAIL_TRANSPORT, EmailTransport } from './email-transport';
import { SimulatedEmailTransport } from './simulated-email.transport';
import { SmtpEmailTransport } from './smtp-email.transport';

@Module({
  imports: [DeliveryHealthModule],
  providers: [
    {
      provide: EMAIL_TRANSPORT,
      inject: [emailConfig.KEY, DeliveryHealth],
      useFactory: (
        email: ConfigType<typeof emailConfig>,
        health: DeliveryHealth,
      ): EmailTransport =>
        email.transport === 'smtp' && email.smtp
          ? new SmtpEmailTransport(
              {
                server: email.smtp,
                from: email.from,
                requireTls: email.smtpRequireTls,
                ca: email.smtpTlsCaFile ? readFileSync(email.smtpTlsCaFile, 'utf8') : undefined,
                poolSize: email.smtpPoolSize,
                timeoutMs: email.smtpTimeoutMs,
              },
              health,
            )
          : new SimulatedEmailTransport(email.simulatedDurationMs, email.simulatedFailureRate),
    },
  ],
  exports: [EMAIL_TRANSPORT],
})
export class EmailModule implements OnApplicationShutdown {
  constructor(@Inject(EMAIL_TRANSPORT) private readonly transport: EmailTransport) {}

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close?.();
  }
}
