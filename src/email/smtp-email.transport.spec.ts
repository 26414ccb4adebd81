import { isPermanentJobError, PermanentJobError } from '../handlers/job-handler';
import { classify, SmtpError } from './smtp-email.transport';

const TARGET = 'smtp.example.com:587';
const error = (e: SmtpError): Error => classify(e, TARGET).error;
const kind = (e: SmtpError): string => classify(e, TARGET).kind;

describe('classify (SMTP failure -> job failure)', () => {
  describe('5xx replies to the message are permanent', () => {
    it.each([
      [550, '550 5.1.1 <reject@example.com>: Recipient address rejected', 'RCPT TO'],
      [551, '551 User not local', 'RCPT TO'],
      [552, '552 5.2.2 Mailbox full', 'DATA'],
      [553, '553 5.1.3 Bad recipient address syntax', 'RCPT TO'],
      [554, '554 5.7.1 Message rejected', 'DATA'],
      [500, '500 Syntax error', 'MAIL FROM'],
    ])('%i at %s', (responseCode, response, command) => {
      const failure = classify(
        {
          responseCode,
          response,
          command,
          code: 'EENVELOPE',
          message: `Can't send mail - all recipients were rejected: ${response}`,
        },
        TARGET,
      );
      expect(failure.kind).toBe('permanent');
      expect(failure.error).toBeInstanceOf(PermanentJobError);
      expect(isPermanentJobError(failure.error)).toBe(true);
      // The reply code is said once, not twice.
      expect(failure.error.message).toBe(`SMTP ${responseCode}: ${response.slice(4)}`);
    });
  });

  describe('4xx replies are transient, rate limits included', () => {
    it.each([
      [421, '421 4.3.2 Service shutting down'],
      [421, '421 4.7.0 Too many messages, rate limit exceeded, try again later'],
      [450, '450 4.2.1 Mailbox busy'],
      [450, '450 4.7.1 Sending rate exceeded for this account'],
      [451, '451 4.3.0 Try again later'],
      [451, '451 4.7.1 Ratelimit exceeded, slow down'],
      [452, '452 4.3.1 Insufficient system storage'],
    ])('%i %s', (responseCode, response) => {
      const failure = classify({ responseCode, response, code: 'EMESSAGE', command: 'DATA' });
      expect(failure.kind).toBe('transient');
      expect(failure.error).not.toBeInstanceOf(PermanentJobError);
      expect(isPermanentJobError(failure.error)).toBe(false);
      expect(failure.error.message).toBe(`SMTP ${responseCode}: ${response.slice(4)}`);
    });
  });

  it('trims the reply and falls back to the message when there is no reply text', () => {
    expect(error({ responseCode: 451, response: '  451 later\r\n' }).message).toBe(
      'SMTP 451: later',
    );
    expect(error({ responseCode: 554, message: 'rejected' }).message).toBe('SMTP 554: rejected');
    const bare = error({ responseCode: 550 });
    expect(bare.message).toBe('SMTP 550: unknown SMTP error');
    expect(isPermanentJobError(bare)).toBe(true);
  });

  describe('connection problems (no reply code) are transient and name the code', () => {
    it.each([
      ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:2525'],
      ['ECONNRESET', 'read ECONNRESET'],
      ['ETIMEDOUT', 'Connection timeout'],
      ['ECONNECTION', 'Connection closed unexpectedly'],
      ['EDNS', 'getaddrinfo ENOTFOUND smtp.invalid'],
    ])('%s', (code, message) => {
      const failure = classify({ code, message });
      expect(failure.kind).toBe('transient');
      expect(isPermanentJobError(failure.error)).toBe(false);
      expect(failure.error.message).toBe(`SMTP ${code}: ${message}`);
    });

    it('nodemailer’s refused connection (ESOCKET wrapping ECONNREFUSED) names both', () => {
      // The shape nodemailer 10 rejects with when nothing listens on the port.
      const nodemailerError = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
        errno: -111,
        code: 'ESOCKET',
        syscall: 'connect',
        address: '127.0.0.1',
        port: 1,
        originalCode: 'ECONNREFUSED',
        command: 'CONN',
      });
      const failure = classify(nodemailerError);
      expect(failure.kind).toBe('transient');
      expect(failure.error.message).toBe('SMTP ESOCKET: connect ECONNREFUSED 127.0.0.1:1');
    });

    it('without a code or message it still says what failed', () => {
      const failure = classify({});
      expect(failure.kind).toBe('transient');
      expect(failure.error.message).toBe('SMTP error: unknown SMTP error');
    });
  });

  describe('authentication and TLS failures are configuration errors: retried, named with the server', () => {
    it.each([
      [
        'invalid credentials (535)',
        {
          code: 'EAUTH',
          responseCode: 535,
          response: '535 5.7.8 Error: authentication failed',
          command: 'AUTH PLAIN',
          message: 'Invalid login: 535 5.7.8 Error: authentication failed',
        },
        'SMTP 535: 5.7.8 Error: authentication failed',
      ],
      [
        'authentication required (530 at MAIL FROM)',
        {
          code: 'EENVELOPE',
          responseCode: 530,
          response: '530 5.7.0 Authentication required',
          command: 'MAIL FROM',
        },
        'SMTP 530: 5.7.0 Authentication required',
      ],
      [
        'no credentials for a server that wants them',
        { code: 'EAUTH', command: 'API', message: 'Missing credentials for "PLAIN"' },
        'SMTP EAUTH: Missing credentials for "PLAIN"',
      ],
    ])('%s', (_what, e, base) => {
      const failure = classify(e, TARGET);
      expect(failure.kind).toBe('configuration');
      expect(isPermanentJobError(failure.error)).toBe(false);
      expect(failure.error.message).toBe(
        `${base} (configuration problem at ${TARGET}: authentication failed; check the credentials in SMTP_URL)`,
      );
    });

    it.each([
      [
        'STARTTLS refused while SMTP_REQUIRE_TLS is on (a 5xx, still not permanent)',
        {
          code: 'ETLS',
          responseCode: 502,
          response: '502 5.5.1 Unrecognized command',
          command: 'STARTTLS',
          message: 'Error upgrading connection with STARTTLS: 502 5.5.1 Unrecognized command',
        },
        'SMTP ETLS: Error upgrading connection with STARTTLS: 502 5.5.1 Unrecognized command',
      ],
      [
        'an untrusted certificate during STARTTLS',
        {
          code: 'ETLS',
          command: 'STARTTLS',
          message: 'Error initiating TLS - self-signed certificate in certificate chain',
        },
        'SMTP ETLS: Error initiating TLS - self-signed certificate in certificate chain',
      ],
      [
        'an untrusted certificate on smtps:// (ESOCKET wrapping the X.509 code)',
        {
          code: 'ESOCKET',
          originalCode: 'SELF_SIGNED_CERT_IN_CHAIN',
          command: 'CONN',
          message: 'self-signed certificate in certificate chain',
        },
        'SMTP ESOCKET: self-signed certificate in certificate chain',
      ],
      [
        'a certificate for another host',
        {
          code: 'ESOCKET',
          originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
          command: 'CONN',
          message: "Hostname/IP does not match certificate's altnames",
        },
        "SMTP ESOCKET: Hostname/IP does not match certificate's altnames",
      ],
    ])('%s', (_what, e, base) => {
      const failure = classify(e, TARGET);
      expect(failure.kind).toBe('configuration');
      expect(isPermanentJobError(failure.error)).toBe(false);
      expect(failure.error.message).toBe(
        `${base} (configuration problem at ${TARGET}: TLS failed; check the server certificate, SMTP_TLS_CA and SMTP_REQUIRE_TLS)`,
      );
    });

    it('a 5xx refusing the session itself (greeting, EHLO) is not the message’s fault', () => {
      expect(
        kind({ responseCode: 554, response: '554 5.7.1 No SMTP service here', command: 'CONN' }),
      ).toBe('configuration');
      expect(kind({ responseCode: 550, response: '550 go away', command: 'EHLO' })).toBe(
        'configuration',
      );
      expect(error({ responseCode: 554, response: '554 no', command: 'CONN' }).message).toBe(
        `SMTP 554: no (configuration problem at ${TARGET}: the server refused the session)`,
      );
    });
  });

  it('returns a new error rather than the one it was given', () => {
    const original = Object.assign(new Error('boom'), { code: 'ECONNRESET' });
    const failure = classify(original);
    expect(failure.error).not.toBe(original);
    expect(failure.error.message).toBe('SMTP ECONNRESET: boom');
  });
});
