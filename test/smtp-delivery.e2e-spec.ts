import { Logger } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { loadEnv } from '../src/config/env';
import { DeliveryHealth } from '../src/delivery/delivery-health';
import { OutgoingEmail } from '../src/email/email-transport';
import { SmtpEmailTransport } from '../src/email/smtp-email.transport';
import { isPermanentJobError } from '../src/handlers/job-handler';
import { TestSmtpServer, TestSmtpServerOptions } from './support/smtp-test-server';
import { createTestCa, TestCa } from './support/test-ca';

/**
 * The SMTP transport against real SMTP servers (smtp-server) that this file starts
 * with the TLS and AUTH set-up each case needs, on a certificate authority the test
 * creates. Settings come from SMTP_* values through loadEnv, as in the service.
 */

const FROM = 'Queue <queue@example.com>';
/** Credentials with every character that needs percent-encoding in a URL. */
const USER = 'mailer@example.com';
const PASS = 'p@ss:w/rd%?#';
const encoded = `${encodeURIComponent(USER)}:${encodeURIComponent(PASS)}`;

let ca: TestCa;
/** What the Delivery logger printed as errors. */
let loggedErrors: string[] = [];
const servers: TestSmtpServer[] = [];
const transports: SmtpEmailTransport[] = [];
let sequence = 0;

beforeAll(() => {
  ca = createTestCa();
});

beforeEach(() => {
  loggedErrors = [];
  jest
    .spyOn(Logger.prototype, 'error')
    .mockImplementation((message: unknown) => void loggedErrors.push(String(message)));
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});

afterEach(async () => {
  jest.restoreAllMocks();
  for (const transport of transports.splice(0)) transport.close();
  for (const server of servers.splice(0)) await server.close();
});

afterAll(() => ca?.remove());

async function server(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const started = await TestSmtpServer.start(options);
  servers.push(started);
  return started;
}

/** A transport configured the way the service configures it, from SMTP_* variables. */
function transport(
  env: Record<string, string>,
  health = new DeliveryHealth(),
): { transport: SmtpEmailTransport; health: DeliveryHealth } {
  const { email } = loadEnv({ EMAIL_TRANSPORT: 'smtp', EMAIL_FROM: FROM, ...env });
  const created = new SmtpEmailTransport(
    {
      server: email.smtp!,
      from: email.from,
      requireTls: email.smtpRequireTls,
      ca: email.smtpTlsCaFile ? ca.caPem : undefined,
      poolSize: email.smtpPoolSize,
      timeoutMs: email.smtpTimeoutMs,
    },
    health,
  );
  transports.push(created);
  return { transport: created, health };
}

function mail(extra: Partial<OutgoingEmail> = {}): OutgoingEmail {
  sequence += 1;
  return {
    jobId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    to: 'alice@example.com',
    subject: `Message ${sequence}`,
    text: 'Hello',
    ...extra,
  };
}

const live = (): AbortSignal => new AbortController().signal;

/** The error `send` rejected with. */
async function failure(t: SmtpEmailTransport, email = mail()): Promise<Error> {
  return t.send(email, live()).then(
    () => {
      throw new Error('expected the send to fail');
    },
    (error: Error) => error,
  );
}

describe('TLS and authentication', () => {
  it('smtp:// uses STARTTLS when offered, verifies the certificate against SMTP_TLS_CA, and logs in with the percent-decoded credentials (AUTH PLAIN)', async () => {
    const peer = await server({
      tls: ca,
      auth: { user: USER, pass: PASS, methods: ['PLAIN'] },
    });
    const { transport: t, health } = transport({
      SMTP_URL: `smtp://${encoded}@127.0.0.1:${peer.port}`,
      SMTP_TLS_CA: ca.caFile,
    });
    await t.send(mail(), live());
    expect(peer.messages).toHaveLength(1);
    expect(peer.messages[0]).toMatchObject({ secure: true, user: USER });
    expect(peer.authAttempts).toEqual([
      { method: 'PLAIN', username: USER, password: PASS, secure: true, accepted: true },
    ]);
    expect(health.healthy).toBe(true);
  });

  it('logs in with AUTH LOGIN when that is what the server offers', async () => {
    const peer = await server({ tls: ca, auth: { user: USER, pass: PASS, methods: ['LOGIN'] } });
    const { transport: t } = transport({
      SMTP_URL: `smtp://${encoded}@127.0.0.1:${peer.port}`,
      SMTP_TLS_CA: ca.caFile,
    });
    await t.send(mail(), live());
    expect(peer.authAttempts.map((a) => [a.method, a.accepted, a.secure])).toEqual([
      ['LOGIN', true, true],
    ]);
    expect(peer.messages).toHaveLength(1);
  });

  it('smtps:// speaks TLS from the first byte', async () => {
    const peer = await server({
      implicitTls: true,
      tls: ca,
      auth: { user: USER, pass: PASS, methods: ['PLAIN'] },
    });
    const { transport: t } = transport({
      SMTP_URL: `smtps://${encoded}@127.0.0.1:${peer.port}`,
      SMTP_TLS_CA: ca.caFile,
    });
    await t.send(mail(), live());
    expect(peer.messages).toHaveLength(1);
    expect(peer.messages[0].secure).toBe(true);
  });

  it('sends in the clear to a server without STARTTLS when SMTP_REQUIRE_TLS is off', async () => {
    const peer = await server();
    const { transport: t } = transport({ SMTP_URL: `smtp://127.0.0.1:${peer.port}` });
    await t.send(mail(), live());
    expect(peer.messages).toHaveLength(1);
    expect(peer.messages[0].secure).toBe(false);
  });

  it('SMTP_REQUIRE_TLS=true refuses a server without STARTTLS: nothing is sent, not even the credentials; a configuration error, retried', async () => {
    const peer = await server({
      auth: { user: USER, pass: PASS, methods: ['PLAIN'] },
      tls: ca,
      starttls: false,
    });
    const { transport: t, health } = transport({
      SMTP_URL: `smtp://${encoded}@127.0.0.1:${peer.port}`,
      SMTP_REQUIRE_TLS: 'true',
      SMTP_TLS_CA: ca.caFile,
    });
    const error = await failure(t);
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toMatch(/^SMTP ETLS: Error upgrading connection with STARTTLS/);
    expect(error.message).toContain(`configuration problem at 127.0.0.1:${peer.port}: TLS failed`);
    expect(peer.authAttempts).toEqual([]);
    expect(peer.dataTransactions).toBe(0);
    expect(health.problems()).toEqual([
      expect.objectContaining({
        transport: 'smtp',
        target: `127.0.0.1:${peer.port}`,
        message: error.message,
        failures: 1,
      }),
    ]);
  });

  it('verifies certificates by default: a server certificate from an unknown CA is a configuration error (STARTTLS and smtps://)', async () => {
    const starttls = await server({ tls: ca });
    const implicit = await server({ implicitTls: true, tls: ca });
    for (const url of [`smtp://127.0.0.1:${starttls.port}`, `smtps://127.0.0.1:${implicit.port}`]) {
      const { transport: t, health } = transport({ SMTP_URL: url });
      const error = await failure(t);
      expect(isPermanentJobError(error)).toBe(false);
      expect(error.message).toMatch(/self[- ]signed certificate|unable to verify/i);
      expect(error.message).toContain('configuration problem at 127.0.0.1:');
      expect(health.problems()).toHaveLength(1);
    }
    expect(starttls.dataTransactions + implicit.dataTransactions).toBe(0);
  });

  it('refuses a certificate that does not name the host, even from the trusted CA', async () => {
    const peer = await server({ implicitTls: true, tls: ca.otherHost }); // for mail.invalid only
    const { transport: t, health } = transport({
      SMTP_URL: `smtps://127.0.0.1:${peer.port}`,
      SMTP_TLS_CA: ca.caFile,
    });
    const error = await failure(t);
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toMatch(
      /^SMTP ESOCKET: Hostname\/IP does not match certificate's altnames/,
    );
    expect(error.message).toContain('TLS failed');
    expect(health.problems()).toHaveLength(1);
    expect(peer.dataTransactions).toBe(0);
  });

  it('a wrong password (535) is a configuration error naming the server, never the password; the next success clears it', async () => {
    const peer = await server({
      tls: ca,
      auth: { user: USER, pass: 'the-right-one', methods: ['PLAIN'] },
    });
    const { transport: t, health } = transport({
      SMTP_URL: `smtp://${encoded}@127.0.0.1:${peer.port}`,
      SMTP_TLS_CA: ca.caFile,
    });
    const error = await failure(t);
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toBe(
      `SMTP 535: 5.7.8 Authentication credentials invalid (configuration problem at 127.0.0.1:${peer.port}: authentication failed; check the credentials in SMTP_URL)`,
    );
    expect(error.message).not.toContain(PASS);
    expect(error.message).not.toContain(encodeURIComponent(PASS));
    expect(health.healthy).toBe(false);
    expect(peer.dataTransactions).toBe(0);
    // Logged as an error naming the server; neither the password nor the URL is in it.
    expect(loggedErrors).toEqual([
      `smtp delivery to 127.0.0.1:${peer.port} fails on configuration, jobs are retried until it is fixed: ${error.message}`,
    ]);
    for (const secret of [PASS, encodeURIComponent(PASS), encoded, 'smtp://']) {
      expect(loggedErrors.join('\n')).not.toContain(secret);
    }

    peer.password = PASS; // the account is fixed on the server's side
    await t.send(mail(), live());
    expect(peer.messages).toHaveLength(1);
    expect(health.healthy).toBe(true);
    expect(health.problems()).toEqual([]);
  });
});

describe('failures while sending', () => {
  it('a connection dropped mid-DATA is transient; the next message goes through', async () => {
    const peer = await server({ onMessage: (index) => (index === 0 ? 'drop' : undefined) });
    const { transport: t, health } = transport({ SMTP_URL: `smtp://127.0.0.1:${peer.port}` });
    const error = await failure(t);
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toMatch(/^SMTP (ECONNECTION|ESOCKET): /);
    expect(peer.dataTransactions).toBe(1);
    expect(peer.messages).toEqual([]);
    expect(health.healthy).toBe(true); // not a configuration problem
    expect(loggedErrors).toEqual([]);

    await t.send(mail(), live());
    expect(peer.messages).toHaveLength(1);
  });

  it('a reply slower than SMTP_TIMEOUT_MS is a transient timeout', async () => {
    const peer = await server({ onMessage: () => 60_000 });
    const { transport: t } = transport({
      SMTP_URL: `smtp://127.0.0.1:${peer.port}`,
      SMTP_TIMEOUT_MS: '300',
    });
    const error = await failure(t);
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toMatch(/^SMTP ETIMEDOUT: /);
    expect(peer.dataTransactions).toBe(1);
    expect(peer.messages).toEqual([]);
  });

  it('a greeting slower than SMTP_TIMEOUT_MS is a transient timeout', async () => {
    const peer = await server({ greetingDelayMs: 60_000 });
    const { transport: t } = transport({
      SMTP_URL: `smtp://127.0.0.1:${peer.port}`,
      SMTP_TIMEOUT_MS: '300',
      SMTP_POOL_SIZE: '0',
    });
    const error = await failure(t);
    expect(isPermanentJobError(error)).toBe(false);
    expect(error.message).toMatch(/^SMTP ETIMEDOUT: /);
    expect(peer.dataTransactions).toBe(0);
  });
});

describe('connection pooling', () => {
  const N = 12;

  it(`SMTP_POOL_SIZE=2: ${N} messages sent at once share at most 2 connections`, async () => {
    const peer = await server({ onMessage: () => 20 });
    const { transport: t } = transport({
      SMTP_URL: `smtp://127.0.0.1:${peer.port}`,
      SMTP_POOL_SIZE: '2',
    });
    await Promise.all(Array.from({ length: N }, () => t.send(mail(), live())));
    expect(peer.messages).toHaveLength(N);
    expect(peer.connections).toBeGreaterThanOrEqual(1);
    expect(peer.connections).toBeLessThanOrEqual(2);
  });

  it('a pooled connection is reused by the messages of later jobs', async () => {
    const peer = await server();
    const { transport: t } = transport({ SMTP_URL: `smtp://127.0.0.1:${peer.port}` });
    for (let i = 0; i < 5; i++) await t.send(mail(), live());
    expect(peer.messages).toHaveLength(5);
    expect(peer.connections).toBe(1);
  });

  it(`SMTP_POOL_SIZE=0: a new connection for every message (${N} for ${N})`, async () => {
    const peer = await server();
    const { transport: t } = transport({
      SMTP_URL: `smtp://127.0.0.1:${peer.port}`,
      SMTP_POOL_SIZE: '0',
    });
    await Promise.all(Array.from({ length: N }, () => t.send(mail(), live())));
    expect(peer.messages).toHaveLength(N);
    expect(peer.connections).toBe(N);
  });
});

describe('the message', () => {
  it('html and text become multipart/alternative; Reply-To, Message-ID and X-Job-Id are set', async () => {
    const peer = await server();
    const { transport: t } = transport({ SMTP_URL: `smtp://127.0.0.1:${peer.port}` });
    const email = mail({
      subject: 'Grüße',
      text: 'Plain text part\nsecond line',
      html: '<p>HTML <b>part</b> with ümlauts</p>',
      replyTo: 'support@example.com',
    });
    await t.send(email, live());
    const [received] = peer.messages;
    const parsed = await simpleParser(received.raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text?.trim()).toBe('Plain text part\nsecond line');
    expect(parsed.html).toBe('<p>HTML <b>part</b> with ümlauts</p>');
    expect(parsed.replyTo?.value).toEqual([{ address: 'support@example.com', name: '' }]);
    expect(parsed.subject).toBe('Grüße');
    expect(parsed.messageId).toBe(`<${email.jobId}@example.com>`);
    expect(parsed.headers.get('x-job-id')).toBe(email.jobId);
    // The text alternative comes first: clients show the last one they can render.
    const raw = received.raw.toString('utf8');
    expect(raw.indexOf('Content-Type: text/plain')).toBeLessThan(
      raw.indexOf('Content-Type: text/html'),
    );
  });

  it('without html the message is text/plain and has no Reply-To', async () => {
    const peer = await server();
    const { transport: t } = transport({ SMTP_URL: `smtp://127.0.0.1:${peer.port}` });
    await t.send(mail({ text: 'Only text' }), live());
    const parsed = await simpleParser(peer.messages[0].raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'text/plain' });
    expect(parsed.html).toBe(false);
    expect(parsed.replyTo).toBeUndefined();
    expect(parsed.text?.trim()).toBe('Only text');
  });
});
