// Types for test-ca.js (plain CommonJS, shared with bench/smtp.js).

/** A throwaway certificate authority and server certificates it signed. */
export interface TestCa {
  /** The CA certificate (PEM), and the file it is in: what SMTP_TLS_CA points to. */
  caPem: string;
  caFile: string;
  /** The server's key and certificate (PEM), valid for localhost and 127.0.0.1. */
  key: string;
  cert: string;
  /** A key and certificate from the same CA for another name only (mail.invalid). */
  otherHost: { key: string; cert: string };
  /** Deletes the files. */
  remove(): void;
}

export function createTestCa(): TestCa;
