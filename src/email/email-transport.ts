/** The e-mail port: one implementation simulates sending (the seed's behaviour), one speaks SMTP. */
export const EMAIL_TRANSPORT = Symbol('EMAIL_TRANSPORT');

export interface OutgoingEmail {
  /** The job this message belongs to: carried as X-Job-Id and in the Message-ID. */
  jobId: string;
  to: string;
  subject: string;
  /** The plain-text body; with `html`, the text alternative. */
  text: string;
  /** An HTML body: the message is then multipart/alternative (text, then html). */
  html?: string;
  /** The Reply-To address. */
  replyTo?: string;
}

export interface EmailTransport {
  /**
   * Sends one message. Throws PermanentJobError for a failure a retry cannot fix,
   * any other error for a transient one.
   */
  send(email: OutgoingEmail, signal: AbortSignal): Promise<void>;
  close?(): Promise<void> | void;
}
