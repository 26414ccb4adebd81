import Redis from 'ioredis';
import { simpleParser } from 'mailparser';
import { SMTPServer, SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import { startApi, startWorker, testEnv, TestApi, TestWorker } from './support/apps';
import { emailJob, request } from './support/http';
import { NodeProcess, spawnNode } from './support/node-process';
import { freePort } from './support/redis-server';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { TestSmtpServer } from './support/smtp-test-server';
import { createTestCa, TestCa } from './support/test-ca';
import { waitFor } from './support/wait';

/**
 * The SMTP e-mail transport end to end: jobs submitted over HTTP, run by a real
 * worker, delivered through nodemailer to a real SMTP server (smtp-server) that
 * this file starts, and whose replies (250, 451, 550) the test controls.
 */

const EMAIL_FROM = 'Queue <queue@example.com>';

/** One DATA transaction the server saw, whether it accepted the message or not. */
interface ReceivedMessage {
  /** SMTP envelope. */
  mailFrom: string;
  rcptTo: string[];
  /** Header fields by lower-case name (unfolded; the last one wins). */
  headers: Map<string, string>;
  /** The text body, line breaks normalised to \n. */
  text: string;
  /** The message as received. */
  raw: Buffer;
  /** false when the server answered the DATA with an error. */
  accepted: boolean;
}

/** Splits a raw RFC 5322 message into unfolded headers and its body. */
function parseMessage(raw: string): { headers: Map<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = split === -1 ? raw : raw.slice(0, split);
  const body = split === -1 ? '' : raw.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/**
 * A real SMTP server on a free port. Recipients named reject@... are refused at
 * RCPT TO with 550; the first DATA for a recipient named flaky...@ is answered 451
 * (after the whole message was received), later ones are accepted; everything
 * else is accepted.
 */
class SmtpSink {
  readonly messages: ReceivedMessage[] = [];
  readonly rcptAttempts: string[] = [];
  private readonly deferred = new Set<string>();
  private readonly server: SMTPServer;

  private constructor(readonly port: number) {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      closeTimeout: 1000,
      onRcptTo: (address, session, callback) => this.onRcptTo(address, session, callback),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => callback(this.onMessage(Buffer.concat(chunks), session)));
      },
    });
  }

  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink(await freePort());
    await new Promise<void>((resolve, reject) => {
      sink.server.once('error', reject);
      sink.server.listen(sink.port, '127.0.0.1', () => resolve());
    });
    return sink;
  }

  /** Every DATA transaction carrying X-Job-Id `jobId`, in arrival order. */
  forJob(jobId: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.headers.get('x-job-id') === jobId);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRcptTo(
    address: SMTPServerAddress,
    _session: SMTPServerSession,
    callback: (err?: Error | null) => void,
  ): void {
    this.rcptAttempts.push(address.address);
    if (address.address.startsWith('reject@')) {
      callback(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected`));
      return;
    }
    callback();
  }

  private onMessage(raw: Buffer, session: SMTPServerSession): Error | null {
    const rcptTo = session.envelope.rcptTo.map((a) => a.address);
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const flaky = rcptTo.find((to) => to.startsWith('flaky') && !this.deferred.has(to));
    const { headers, text } = parseMessage(raw.toString('utf8'));
    this.messages.push({ mailFrom, rcptTo, headers, text, raw, accepted: !flaky });
    if (flaky) {
      this.deferred.add(flaky);
      return smtpError(451, '4.3.0 Temporary local problem, try again later');
    }
    return null;
  }
}

type JobBody = Record<string, unknown>;

async function submitJob(api: TestApi, job: unknown): Promise<string> {
  const res = await request(`${api.baseUrl}/submit-job`, { method: 'POST', json: job });
  expect(res.status).toBe(201);
  return res.body.job_id as string;
}

/** Polls the status endpoint until the job is in `status`; returns that status body. */
async function waitForStatus(
  api: TestApi,
  jobId: string,
  status: 'completed' | 'failed',
): Promise<JobBody> {
  return waitFor(
    async () => {
      const res = await request(`${api.baseUrl}/jobs/status/${jobId}`);
      return res.body.status === status && res.body;
    },
    { timeoutMs: 30_000, what: `job ${jobId} ${status}` },
  );
}

describe('SMTP transport against a real SMTP server', () => {
  const prefix = uniquePrefix('smtp');
  let sink: SmtpSink;
  let redis: Redis;
  let api: TestApi | undefined;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    redis = connect();
    sink = await SmtpSink.start();
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      EMAIL_FROM,
    };
    api = await startApi(env);
    worker = await startWorker({ ...env, JOB_BACKOFF_BASE_MS: '20' });
  });

  afterAll(async () => {
    // Apps first: their shutdown closes nodemailer's pooled connections to the sink.
    await worker?.close();
    await api?.close();
    await sink?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('delivers the message: X-Job-Id, a Message-ID from the job id and EMAIL_FROM domain, To, From, Subject, text', async () => {
    const to = 'alice@example.com';
    const job = emailJob('high', to, {
      subject: 'Welcome aboard',
      body: 'Thanks for signing up.\nSecond line.',
    });
    const id = await submitJob(api!, job);

    const done = await waitForStatus(api!, id, 'completed');
    expect(done).toMatchObject({ job_id: id, status: 'completed', retry_count: 0 });
    expect(done.last_error).toBeUndefined();
    expect(done.available_after).toBeNull();

    const received = sink.forJob(id);
    expect(received).toHaveLength(1);
    const [message] = received;
    expect(message.accepted).toBe(true);
    expect(message.mailFrom).toBe('queue@example.com');
    expect(message.rcptTo).toEqual([to]);
    expect(message.headers.get('x-job-id')).toBe(id);
    expect(message.headers.get('message-id')).toBe(`<${id}@example.com>`);
    expect(message.headers.get('from')).toBe(EMAIL_FROM);
    expect(message.headers.get('to')).toBe(to);
    expect(message.headers.get('subject')).toBe('Welcome aboard');
    expect(message.headers.get('content-type')).toMatch(/^text\/plain\b/);
    expect(message.text.replace(/\n+$/, '')).toBe('Thanks for signing up.\nSecond line.');
  });

  it('sends an empty subject and body when the payload has only `to`', async () => {
    const id = await submitJob(api!, {
      job_type: 'send_email',
      priority: 'low',
      payload: { to: 'bob@example.com' },
    });
    await waitForStatus(api!, id, 'completed');
    const [message] = sink.forJob(id);
    expect(message.rcptTo).toEqual(['bob@example.com']);
    expect(message.headers.get('subject') ?? '').toBe('');
    expect(message.text.trim()).toBe('');
  });

  it('sends html as multipart/alternative with body as its text part, and reply_to as Reply-To', async () => {
    const id = await submitJob(api!, {
      job_type: 'send_email',
      priority: 'high',
      payload: {
        to: 'frank@example.com',
        subject: 'Your receipt',
        body: 'Total: 42 EUR',
        html: '<p>Total: <b>42 EUR</b></p>',
        reply_to: 'billing@example.com',
      },
    });
    await waitForStatus(api!, id, 'completed');
    const [message] = sink.forJob(id);
    const parsed = await simpleParser(message.raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text?.trim()).toBe('Total: 42 EUR');
    expect(parsed.html).toBe('<p>Total: <b>42 EUR</b></p>');
    expect(parsed.replyTo?.value).toEqual([{ address: 'billing@example.com', name: '' }]);
    expect(parsed.to).toMatchObject({ value: [{ address: 'frank@example.com' }] });
  });

  it('refuses a reply_to that could inject a header, and nothing is sent', async () => {
    const res = await request(`${api!.baseUrl}/submit-job`, {
      method: 'POST',
      json: emailJob('high', 'grace@example.com', {
        reply_to: 'billing@example.com\r\nBcc: victim@example.com',
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        field: 'payload.reply_to',
        message: 'payload.reply_to must be a valid e-mail address (local@domain.tld)',
      },
    ]);
    expect(sink.rcptAttempts).not.toContain('grace@example.com');
  });

  it('retries a 451 at end of DATA with backoff, then completes; the Message-ID is stable across attempts', async () => {
    const to = `flaky-${Date.now()}@example.com`;
    const id = await submitJob(api!, emailJob('high', to, { subject: 'Try again' }));

    const done = await waitForStatus(api!, id, 'completed');
    expect(done.retry_count).toBe(1);
    // The failed attempt's reason stays on the job after it completes ("reason of the last failed attempt").
    expect(done.last_error).toEqual(expect.stringContaining('451'));
    expect(done.last_error).toMatch(/^SMTP 451: /);
    // Finished: no next attempt time. The events show it went through the delayed
    // set and was picked again only once due.
    expect(done.available_after).toBeNull();
    const events = (await redis.xrange(`${prefix}:events`, '-', '+'))
      .map(([, fields]) => Object.fromEntries(chunkPairs(fields)))
      .filter((e) => e.job_id === id);
    expect(events.map((e) => e.event)).toEqual([
      'submitted',
      'processing',
      'retry_scheduled',
      'processing',
      'completed',
    ]);
    expect(Number(events[3].ts)).toBeGreaterThanOrEqual(Number(events[2].available_after));

    const attempts = sink.forJob(id);
    expect(attempts.map((m) => m.accepted)).toEqual([false, true]);
    const [failed, delivered] = attempts;
    expect(failed.headers.get('message-id')).toBe(`<${id}@example.com>`);
    expect(delivered.headers.get('message-id')).toBe(failed.headers.get('message-id'));
    expect(delivered.headers.get('x-job-id')).toBe(id);
    expect(delivered.rcptTo).toEqual([to]);
    expect(delivered.headers.get('subject')).toBe('Try again');
  });

  it('fails a 550 at RCPT TO at once: failed, retry_count 0, one attempt', async () => {
    const rejectedBefore = sink.rcptAttempts.filter((a) => a === 'reject@example.com').length;
    const id = await submitJob(api!, emailJob('high', 'reject@example.com'));

    const failed = await waitForStatus(api!, id, 'failed');
    expect(failed.retry_count).toBe(0);
    expect(failed.last_error).toEqual(expect.stringContaining('550'));
    expect(failed.last_error).toMatch(/^SMTP 550: /);
    expect(failed.completed_ts).toEqual(expect.any(Number));
    expect(failed.available_after).toBeNull();

    const rejected = sink.rcptAttempts.filter((a) => a === 'reject@example.com').length;
    expect(rejected - rejectedBefore).toBe(1);
    // Refused before DATA: no message for it ever reached the server.
    expect(sink.forJob(id)).toEqual([]);
  });

  it('keeps serving other jobs after a failure (the pooled connection is still usable)', async () => {
    const ids = await Promise.all(
      ['carol@example.com', 'dave@example.com', 'erin@example.com'].map((to) =>
        submitJob(api!, emailJob('low', to)),
      ),
    );
    for (const id of ids) {
      expect(await waitForStatus(api!, id, 'completed')).toMatchObject({ retry_count: 0 });
      expect(sink.forJob(id)).toHaveLength(1);
    }
  });
});

describe('SMTP transport when the server cannot be reached', () => {
  const prefix = uniquePrefix('smtp-down');
  let closedPort: number;
  let redis: Redis;
  let api: TestApi | undefined;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    redis = connect();
    closedPort = await freePort(); // nothing listens on it
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_URL: `smtp://127.0.0.1:${closedPort}`,
      EMAIL_FROM,
    };
    api = await startApi(env);
    worker = await startWorker({ ...env, JOB_BACKOFF_BASE_MS: '20' });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('treats a refused connection as transient: retried up to JOB_MAX_RETRIES, then failed', async () => {
    const id = await submitJob(api!, emailJob('high', 'alice@example.com'));
    const failed = await waitForStatus(api!, id, 'failed');
    expect(failed.retry_count).toBe(3); // JOB_MAX_RETRIES in the test environment
    expect(failed.last_error).toEqual(expect.stringContaining('ECONNREFUSED'));
    expect(failed.last_error).toEqual(expect.stringContaining(`127.0.0.1:${closedPort}`));
    expect(failed.completed_ts).toEqual(expect.any(Number));
  });
});

describe('SMTP configuration error through a worker process (wrong password)', () => {
  const prefix = uniquePrefix('smtp-config');
  const PASSWORD = 'correct-horse:battery/staple';
  const WRONG = 'wrong-pass@word';
  let ca: TestCa;
  let peer: TestSmtpServer;
  let redis: Redis;
  let api: TestApi | undefined;
  let worker: NodeProcess | undefined;
  let probePort = 0;

  beforeAll(async () => {
    redis = connect();
    probePort = await freePort();
    ca = createTestCa();
    peer = await TestSmtpServer.start({
      tls: ca,
      auth: { user: 'mailer', pass: PASSWORD, methods: ['PLAIN', 'LOGIN'] },
    });
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      EMAIL_TRANSPORT: 'smtp',
      SMTP_URL: `smtp://mailer:${encodeURIComponent(WRONG)}@127.0.0.1:${peer.port}`,
      SMTP_TLS_CA: ca.caFile,
      SMTP_REQUIRE_TLS: 'true',
      EMAIL_FROM,
    };
    api = await startApi(env);
    worker = spawnNode(
      'dist/worker.js',
      testEnv({
        ...env,
        JOB_MAX_RETRIES: '100',
        JOB_BACKOFF_BASE_MS: '50',
        LOG_LEVEL: 'log',
        METRICS_PORT: String(probePort),
      }),
    );
    await worker.waitForOutput('started');
  });

  afterAll(async () => {
    await worker?.kill();
    await api?.close();
    await peer?.close();
    ca?.remove();
    if (redis) {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });

  it('is retried, not failed; logged as an error naming the server, never the password; then delivered once the server accepts the login', async () => {
    const id = await submitJob(api!, emailJob('high', 'alice@example.com'));
    const retrying = await waitFor(
      async () => {
        const { body } = await request(`${api!.baseUrl}/jobs/status/${id}`);
        return (body.retry_count as number) >= 2 && body;
      },
      { what: `job ${id} retried twice` },
    );
    expect(retrying.status).toBe('pending');
    expect(retrying.last_error).toBe(
      `SMTP 535: 5.7.8 Authentication credentials invalid (configuration problem at 127.0.0.1:${peer.port}: authentication failed; check the credentials in SMTP_URL)`,
    );
    expect(peer.authAttempts.every((a) => a.password === WRONG && a.secure)).toBe(true);
    expect(peer.dataTransactions).toBe(0);

    await worker!.waitForOutput(`smtp delivery to 127.0.0.1:${peer.port} fails on configuration`);
    const output = worker!.output();
    const line = output.split('\n').find((l) => l.includes('fails on configuration')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ level: 'error', context: 'Delivery' });
    // The worker's readiness probe says so too.
    const ready = await request(`http://127.0.0.1:${probePort}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'error', failed: ['delivery'] });
    for (const secret of [WRONG, encodeURIComponent(WRONG), 'smtp://mailer']) {
      expect(output).not.toContain(secret);
    }
    // The start-up summary names the server, without the URL's credentials.
    expect(output).toContain(`"smtp":"smtp://127.0.0.1:${peer.port}"`);
    expect(output).not.toMatch(/smtps?:\/\/[^\s"@/]*@/);

    peer.password = WRONG; // the server's side is fixed
    const done = await waitForStatus(api!, id, 'completed');
    expect(done.retry_count as number).toBeGreaterThanOrEqual(2);
    expect(peer.messages).toHaveLength(1);
    await worker!.waitForOutput(`smtp delivery to 127.0.0.1:${peer.port} works again`);
    expect((await request(`http://127.0.0.1:${probePort}/health/ready`)).status).toBe(200);
  });
});

function chunkPairs(fields: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) pairs.push([fields[i], fields[i + 1]]);
  return pairs;
}
