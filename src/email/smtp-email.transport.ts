import { createTransport, Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { SmtpServer } from '../config/env';
import { DeliveryHealth } from '../delivery/delivery-health';
import { PermanentJobError } from '../handlers/job-handler';
import { EmailTransport, OutgoingEmail } from './email-transport';

/** What nodemailer puts on the errors it rejects with. */
export interface SmtpError {
  responseCode?: number;
  response?: string;
  code?: string;
  /** The system error's code when nodemailer replaced it with its own (ESOCKET...). */
  originalCode?: string;
  /** The SMTP command in flight: CONN, EHLO, STARTTLS, AUTH PLAIN, MAIL FROM, RCPT TO, DATA... */
  command?: string;
  message?: string;
}

/**
 * - `permanent`: the server refused this recipient or message (5xx): no retry.
 * - `transient`: 4xx, timeouts, connection problems: retried with backoff.
 * - `configuration`: authentication or TLS failed, or the server refused the
 *   session itself: not the job's fault; retried like a transient failure and
 *   reported (logs, DeliveryHealth) until a delivery succeeds again.
 */
export type SmtpFailureKind = 'permanent' | 'transient' | 'configuration';

export interface SmtpFailure {
  kind: SmtpFailureKind;
  /** What the job records: a PermanentJobError for `permanent`, a plain Error otherwise. */
  error: Error;
}

export interface SmtpTransportOptions {
  server: SmtpServer;
  from: string;
  /** Refuse to send unless the connection is encrypted (smtps://, or STARTTLS). */
  requireTls: boolean;
  /** PEM certificates trusted instead of the system's CAs. */
  ca?: string;
  /** Pooled connections kept open and reused; 0 = a new connection for every message. */
  poolSize: number;
  /** Limit for connecting, for the greeting, and for each reply. */
  timeoutMs: number;
}

/** Sends through nodemailer to the SMTP_URL server, over pooled connections. */
export class SmtpEmailTransport implements EmailTransport {
  /** `host:port`: how logs and errors name the server (never with credentials). */
  readonly target: string;
  private readonly transporter: Transporter;
  private readonly messageIdDomain: string;

  constructor(
    private readonly options: SmtpTransportOptions,
    private readonly health: DeliveryHealth,
  ) {
    const { server } = options;
    this.target = `${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
    const settings: SMTPTransport.Options = {
      host: server.host,
      port: server.port,
      // smtps://: TLS from the first byte. smtp://: STARTTLS whenever the server offers
      // it (nodemailer's default), and required with SMTP_REQUIRE_TLS.
      secure: server.implicitTls,
      requireTLS: options.requireTls,
      auth: server.auth,
      // Certificates are always verified; SMTP_TLS_CA replaces the trusted CAs.
      tls: { rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) },
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      dnsTimeout: options.timeoutMs,
      logger: false,
      debug: false,
    };
    this.transporter =
      options.poolSize > 0
        ? createTransport({
            ...settings,
            pool: true,
            maxConnections: options.poolSize,
            // A pooled connection is kept until the server closes it or it idles past
            // SMTP_TIMEOUT_MS, not dropped after nodemailer's default of 100 messages: a
            // new connection's greeting delays the message that opens it (~100 ms
            // with smtp-server), which bunches deliveries at the server under
            // EMAIL_RATE_LIMIT_PER_S. A server that caps messages per connection
            // answers with a 4xx, which is retried.
            maxMessages: Infinity,
          })
        : createTransport(settings);
    const address = /<([^>]+)>\s*$/.exec(options.from)?.[1] ?? options.from;
    this.messageIdDomain = address.split('@')[1]?.trim() || 'localhost';
  }

  async send(email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    try {
      await this.transporter.sendMail({
        from: this.options.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        // With both, nodemailer builds multipart/alternative: text first, html preferred.
        ...(email.html !== undefined ? { html: email.html } : {}),
        ...(email.replyTo !== undefined ? { replyTo: email.replyTo } : {}),
        // Stable across retries, so a receiver can drop a duplicate delivery.
        messageId: `<${email.jobId}@${this.messageIdDomain}>`,
        headers: { 'X-Job-Id': email.jobId },
      });
    } catch (error) {
      const failure = classify(error as SmtpError, this.target);
      if (failure.kind === 'configuration') {
        this.health.configurationError('smtp', this.target, failure.error.message);
      }
      throw failure.error;
    }
    this.health.delivered('smtp');
  }

  close(): void {
    this.transporter.close();
  }
}

/** Reply codes that mean "your credentials": authentication required / too weak / invalid / needs encryption. */
const AUTH_REPLY_CODES = new Set([530, 534, 535, 538]);
/** Commands of the session set-up: a 5xx there refuses the session, not this message. */
const SESSION_COMMANDS = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS']);
/** Node's TLS and certificate error codes (kept by nodemailer as originalCode). */
const TLS_ERROR_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|EPROTO$)/;

function kindOf(error: SmtpError): { kind: SmtpFailureKind; hint?: string } {
  if (
    error.code === 'EAUTH' ||
    error.code === 'ENOAUTH' ||
    (error.responseCode !== undefined && AUTH_REPLY_CODES.has(error.responseCode))
  ) {
    return {
      kind: 'configuration',
      hint: 'authentication failed; check the credentials in SMTP_URL',
    };
  }
  if (error.code === 'ETLS' || TLS_ERROR_CODE.test(error.originalCode ?? error.code ?? '')) {
    return {
      kind: 'configuration',
      hint: 'TLS failed; check the server certificate, SMTP_TLS_CA and SMTP_REQUIRE_TLS',
    };
  }
  if (typeof error.responseCode === 'number') {
    if (error.responseCode < 500) return { kind: 'transient' };
    if (error.command !== undefined && SESSION_COMMANDS.has(error.command)) {
      return { kind: 'configuration', hint: 'the server refused the session' };
    }
    return { kind: 'permanent' };
  }
  return { kind: 'transient' };
}

/**
 * Turns nodemailer's error into the job's failure: 5xx replies to the message are
 * permanent; 4xx replies (a "421 rate limit exceeded" included), timeouts and
 * connection problems are transient; authentication and TLS failures are
 * configuration errors, named with the server (`target`).
 */
export function classify(error: SmtpError, target = 'the SMTP server'): SmtpFailure {
  const { kind, hint } = kindOf(error);
  const reply = (error.response ?? error.message ?? 'unknown SMTP error').trim();
  let message: string;
  if (typeof error.responseCode === 'number' && error.code !== 'ETLS') {
    // nodemailer's response text already starts with the code ("550 5.1.1 ..."): say it once.
    message = `SMTP ${error.responseCode}: ${reply.replace(/^\d{3}[ -]/, '')}`;
  } else {
    message = `SMTP ${error.code ?? 'error'}: ${error.message ?? reply}`;
  }
  if (kind === 'configuration') {
    return { kind, error: new Error(`${message} (configuration problem at ${target}: ${hint})`) };
  }
  return {
    kind,
    error: kind === 'permanent' ? new PermanentJobError(message) : new Error(message),
  };
}
