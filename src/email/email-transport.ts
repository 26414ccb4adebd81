/** The e-mail port: one implementation simulates sending (the seed's behaviour), one speaks SMTP. */
export const EMAIL_TRANSPORT = Symbol('EMAIL_TRANSPORT');

export interface OutgoingEmail {
  /** The job this message belongs to: carried as X-Job-Id and in the Message-ID. */
  jobId: string;
  to: string;
  subject: string;
  text: string;
}

export interface EmailTransport {
  /**
   * Sends one message. Throws PermanentJobError for a failure a retry cannot fix,
   * any other error for a transient one.
   */
  send(email: OutgoingEmail, signal: AbortSignal): Promise<void>;
  close?(): Promise<void> | void;
}
