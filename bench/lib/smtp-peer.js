'use strict';
// The chaos run's SMTP peer: a real SMTP server (smtp-server) on a free port that
// accepts every message from the SMTP worker group and counts, per X-Job-Id, the
// DATA transactions it saw (attempts) and the messages it accepted (deliveries).
// Like the simulated transport, a send takes 5-50 ms and a share of attempts
// fail: those get a 451 (temporary, the worker retries) after the whole message
// was received. Whether attempt n of a job is refused, and how long it takes, is a
// function of the run's seed, the job's number in the run (its subject is
// "chaos #<n>"; the job id when there is none) and n, so a replay refuses the same
// attempts.
const { SMTPServer } = require('smtp-server');
const { hash32, mulberry32, intBetween } = require('./prng');

/** Unfolded header fields of a raw message, by lower-case name. */
function parseHeaders(raw) {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const headers = new Map();
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

class CountingSmtpPeer {
  constructor({ seed, failureRate, minDelayMs = 5, maxDelayMs = 50, messageIdDomain }) {
    Object.assign(this, { seed, failureRate, minDelayMs, maxDelayMs, messageIdDomain });
    /** job id -> DATA transactions seen (accepted or refused). */
    this.attempts = new Map();
    /** job id -> messages accepted (250). */
    this.deliveries = new Map();
    this.refused = 0;
    this.accepted = 0;
    this.withoutJobId = 0;
    /** Messages whose Message-ID is not <X-Job-Id@domain>. */
    this.badMessageIds = [];
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      closeTimeout: 1000,
      size: 1024 * 1024,
      onData: (stream, _session, callback) => {
        const chunks = [];
        stream.on('data', (chunk) => chunks.push(chunk));
        stream.on('end', () => this.onMessage(Buffer.concat(chunks).toString('utf8'), callback));
      },
    });
    this.server.on('error', () => undefined); // a client killed mid-session: not our error
  }

  async listen(port) {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = port;
    return port;
  }

  onMessage(raw, callback) {
    const headers = parseHeaders(raw);
    const jobId = headers.get('x-job-id');
    if (!jobId) {
      this.withoutJobId += 1;
      callback(null);
      return;
    }
    const expectedMessageId = `<${jobId}@${this.messageIdDomain}>`;
    if (headers.get('message-id') !== expectedMessageId) {
      this.badMessageIds.push({ jobId, messageId: headers.get('message-id') });
    }
    const attempt = (this.attempts.get(jobId) ?? 0) + 1;
    this.attempts.set(jobId, attempt);
    const job = /^chaos #(\d+)$/.exec(headers.get('subject') ?? '')?.[1] ?? jobId;
    const rng = mulberry32((this.seed ^ hash32(`${job}#${attempt}`)) >>> 0);
    const refuse = rng() < this.failureRate;
    const delay = intBetween(rng, this.minDelayMs, this.maxDelayMs);
    setTimeout(() => {
      if (refuse) {
        this.refused += 1;
        callback(
          Object.assign(new Error('4.3.0 Temporary local problem (chaos), try again later'), {
            responseCode: 451,
          }),
        );
        return;
      }
      // Counted when the 250 is sent: from here on the message is the receiver's,
      // whether or not the sender lives to read the reply.
      this.accepted += 1;
      this.deliveries.set(jobId, (this.deliveries.get(jobId) ?? 0) + 1);
      callback(null);
    }, delay);
  }

  async close() {
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

module.exports = { CountingSmtpPeer };
