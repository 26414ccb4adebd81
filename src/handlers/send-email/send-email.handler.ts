import { Inject, Injectable } from '@nestjs/common';
import { EMAIL_TRANSPORT, EmailTransport } from '../../email/email-transport';
import { JobContext, JobHandler, JobHandlerImpl } from '../job-handler';
import { SendEmailPayloadDto } from './send-email-payload.dto';

@Injectable()
@JobHandler({ type: 'send_email', payload: SendEmailPayloadDto })
export class SendEmailHandler implements JobHandlerImpl<SendEmailPayloadDto> {
  constructor(@Inject(EMAIL_TRANSPORT) private readonly transport: EmailTransport) {}

  async handle({ jobId, payload, signal }: JobContext<SendEmailPayloadDto>): Promise<void> {
    await this.transport.send(
      {
        jobId,
        to: payload.to,
        subject: payload.subject ?? '',
        text: payload.body ?? '',
        // null is accepted as "absent" by the payload rules.
        html: payload.html ?? undefined,
        replyTo: payload.reply_to ?? undefined,
      },
      signal,
    );
  }
}
