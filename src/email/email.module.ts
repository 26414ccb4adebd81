import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { emailConfig, workerConfig } from '../config/configuration';
import { EMAIL_TRANSPORT, EmailTransport } from './email-transport';
import { SimulatedEmailTransport } from './simulated-email.transport';
import { SmtpEmailTransport } from './smtp-email.transport';

@Module({
  providers: [
    {
      provide: EMAIL_TRANSPORT,
      inject: [emailConfig.KEY, workerConfig.KEY],
      useFactory: (
        email: ConfigType<typeof emailConfig>,
        worker: ConfigType<typeof workerConfig>,
      ): EmailTransport =>
        email.transport === 'smtp'
          ? new SmtpEmailTransport(
              email.smtpUrl as string,
              email.from,
              Math.min(worker.concurrency, 10),
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
