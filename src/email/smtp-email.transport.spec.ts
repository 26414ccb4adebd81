import { isPermanentJobError, PermanentJobError } from '../handlers/job-handler';
import { classify } from './smtp-email.transport';

describe('classify (SMTP failure -> job failure)', () => {
  describe('5xx replies are permanent', () => {
    it.each([
      [550, '550 5.1.1 <reject@example.com>: Recipient address rejected'],
      [551, '551 User not local'],
      [552, '552 5.2.2 Mailbox full'],
      [553, '553 5.1.3 Bad recipient address syntax'],
      [554, '554 5.7.1 Message rejected'],
      [500, '500 Syntax error'],
    ])('%i', (responseCode, response) => {
      const error = classify({
        responseCode,
        response,
        code: 'EENVELOPE',
        message: `Can't send mail - all recipients were rejected: ${response}`,
      });
      expect(error).toBeInstanceOf(PermanentJobError);
      expect(isPermanentJobError(error)).toBe(true);
      // The reply code is said once, not twice.
      expect(error.message).toBe(`SMTP ${responseCode}: ${response.slice(4)}`);
    });
  });

  describe('4xx replies are transient', () => {
    it.each([
      [421, '421 4.3.2 Service shutting down'],
      [450, '450 4.2.1 Mailbox busy'],
      [451, '451 4.3.0 Try again later'],
      [452, '452 4.3.1 Insufficient system storage'],
    ])('%i', (responseCode, response) => {
      const error = classify({ responseCode, response, code: 'EMESSAGE', message: 'x' });
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentJobError);
      expect(isPermanentJobError(error)).toBe(false);
      // The reply code is said once, not twice.
      expect(error.message).toBe(`SMTP ${responseCode}: ${response.slice(4)}`);
    });
  });

  it('trims the reply and falls back to the message when there is no reply text', () => {
    expect(classify({ responseCode: 451, response: '  451 later\r\n' }).message).toBe(
      'SMTP 451: later',
    );
    expect(classify({ responseCode: 554, message: 'rejected' }).message).toBe('SMTP 554: rejected');
    const bare = classify({ responseCode: 550 });
    expect(bare.message).toBe('SMTP 550: unknown SMTP error');
    expect(isPermanentJobError(bare)).toBe(true);
  });

  describe('connection problems (no reply code) are transient and name the code', () => {
    it.each([
      ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:2525'],
      ['ECONNRESET', 'read ECONNRESET'],
      ['ETIMEDOUT', 'Connection timeout'],
      ['EDNS', 'getaddrinfo ENOTFOUND smtp.invalid'],
      ['ETLS', 'unable to verify the first certificate'],
    ])('%s', (code, message) => {
      const error = classify({ code, message });
      expect(isPermanentJobError(error)).toBe(false);
      expect(error).not.toBeInstanceOf(PermanentJobError);
      expect(error.message).toBe(`SMTP ${code}: ${message}`);
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
      const error = classify(nodemailerError);
      expect(isPermanentJobError(error)).toBe(false);
      expect(error.message).toBe('SMTP ESOCKET: connect ECONNREFUSED 127.0.0.1:1');
    });

    it('without a code or message it still says what failed', () => {
      const error = classify({});
      expect(isPermanentJobError(error)).toBe(false);
      expect(error.message).toBe('SMTP error: unknown SMTP error');
    });
  });

  it('returns a new error rather than the one it was given', () => {
    const original = Object.assign(new Error('boom'), { code: 'ECONNRESET' });
    const error = classify(original);
    expect(error).not.toBe(original);
    expect(error.message).toBe('SMTP ECONNRESET: boom');
  });
});
