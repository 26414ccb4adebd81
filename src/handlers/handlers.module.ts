import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EmailModule } from '../email/email.module';
import { JobHandlerRegistry } from './job-handler.registry';
import { SendEmailHandler } from './send-email/send-email.handler';
import { WebhookHandler } from './webhook/webhook.handler';

/** Job types: one provider per handler. */
@Module({
  imports: [DiscoveryModule, EmailModule],
  providers: [JobHandlerRegistry, SendEmailHandler, WebhookHandler],
  exports: [JobHandlerRegistry],
})
export class HandlersModule {}
