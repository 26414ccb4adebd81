import { createTransport, Transporter } from 'nodemailer';
import { PermanentJobError } from '../handlers/job-handler';
import { EmailTransport, OutgoingEmail } from './email-transport';

interface SmtpError {
  responseCode?: number;
  response?: string;
  code?: string;
  message?: string;
}

/** Sends through nodemailer to SMTP_URL. */
export class SmtpEmailTransport implements EmailTransport {
  private readonly transporter: Transporter;
  private readonly messageIdDomain: string;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    maxConnections: number,
  ) {
    this.transporter = createTransport({
      url: smtpUrl,
      pool: true,
      maxConnections,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    const address = /<([^>]+)>\s*$/.exec(from)?.[1] ?? from;
    this.messageIdDomain = address.split('@')[1]?.trim() || 'localhost';
  }

  async send(email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.transporter.sendMail({
        from: this.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        // Stable across retries, so a receiver can drop a duplicate delivery.
        messageId: `<${email.jobId}@${this.messageIdDomain}>`,
        headers: { 'X-Job-Id': email.jobId },
      });
    } catch (error) {
      throw classify(error as SmtpError);
    }
  }

  close(): void {
    this.transporter.close();
  }
}

/** 5xx replies are permanent; 4xx replies and connection problems are worth a retry. */
export function classify(error: SmtpError): Error {
  const reply = (error.response ?? error.message ?? 'unknown SMTP error').trim();
  if (typeof error.responseCode === 'number') {
    // nodemailer's response text already starts with the code ("550 5.1.1 ..."): say it once.
    const message = `SMTP ${error.responseCode}: ${reply.replace(/^\d{3}[ -]/, '')}`;
    return error.responseCode >= 500 ? new PermanentJobError(message) : new Error(message);
  }
  return new Error(`SMTP ${error.code ?? 'error'}: ${error.message ?? reply}`);
}
