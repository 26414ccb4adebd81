import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { JobRepository } from '../src/queue/job.repository';
import { testEnv } from './support/apps';
import { NodeProcess, spawnNode } from './support/node-process';
import { connect } from './support/redis';
import { freePort, TestRedisServer } from './support/redis-server';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

/**
 * An SMTP server that accepts everything and notes, per message, when its
 * transaction began (MAIL FROM: the send as the server sees it start) and when the
 * message was in.
 */
class TimestampingSink {
  readonly deliveries: { jobId: string; at: number }[] = [];
  readonly transactions: number[] = [];
  private readonly server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    // No reverse DNS lookup of each client: on a machine without DNS it delays the
    // greeting of every new connection.
    disableReverseLookup: true,
    logger: false,
    onMailFrom: (_address, _session, callback) => {
      this.transactions.push(Date.now());
      callback();
    },
    onData: (stream, _session, callback) => {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        const jobId = /^x-job-id:\s*(\S+)/im.exec(raw)?.[1] ?? '';
        this.deliveries.push({ jobId, at: Date.now() });
        callback();
      });
    },
  });

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Most deliveries in any window [t, t + windowMs) starting at a delivery. */
function busiestSecond(times: number[], windowMs = 1000): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[j] - times[i] < windowMs && j < times.length) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/**
 * EMAIL_RATE_LIMIT_PER_S is shared by every worker process: three workers with
 * ten slots each start at most that many sends in any second, close to the limit,
 * high priority first, without busy-looping on Redis while held back.
 */
describe('shared e-mail send rate', () => {
  const LIMIT = 20;
  const JOBS = 200; // ten seconds of sends at the limit
  const SERVER_JITTER_MS = 250;
  let redisServer: TestRedisServer;
  let redis: Redis;
  let repo: JobRepository;
  let sink: TimestampingSink;
  const workers: NodeProcess[] = [];

  beforeAll(async () => {
    redisServer = await TestRedisServer.start();
    redis = connect(redisServer.url);
    repo = repositoryFor(redis, 'rate');
    sink = new TimestampingSink();
    const smtpPort = await freePort();
    await sink.listen(smtpPort);
    for (let i = 0; i < 3; i++) {
      const worker = spawnNode(
        'dist/worker.js',
        testEnv({
          REDIS_URL: redisServer.url,
          QUEUE_PREFIX: 'rate',
          WORKER_CONCURRENCY: '10',
          EMAIL_TRANSPORT: 'smtp',
          SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
          EMAIL_FROM: 'Rate Test <rate@example.com>',
          EMAIL_RATE_LIMIT_PER_S: String(LIMIT),
          LOG_LEVEL: 'log',
        }),
      );
      await worker.waitForOutput('(concurrency 10)');
      workers.push(worker);
    }
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await sink.close();
    redis.disconnect();
    await redisServer.destroy();
  });

  it('holds every 1-second window to the limit, achieves >= 95 % of it, high first, no busy loop', async () => {
    const highs = new Set<string>();
    const jobs = Array.from({ length: JOBS }, (_, i) => {
      const id = randomUUID();
      const priority = i < 60 ? ('high' as const) : ('low' as const);
      if (priority === 'high') highs.add(id);
      const to = `user${i}@example.com`;
      return {
        id,
        type: 'send_email',
        priority,
        payloadJson: JSON.stringify({ to }),
        recipient: to,
      };
    });
    // Warm the workers' SMTP pools first: a message on a new connection reaches the
    // server later than one on an open connection (smtp-server, like many servers,
    // pauses 100 ms before its greeting), which would bunch the first seconds up.
    const warmUp = Array.from({ length: 30 }, (_, i) => {
      const to = `warm${i}@example.com`;
      return {
        id: randomUUID(),
        type: 'send_email',
        priority: 'low' as const,
        payloadJson: JSON.stringify({ to }),
        recipient: to,
      };
    });
    await repo.submit(warmUp);
    await waitFor(() => sink.deliveries.length >= warmUp.length, {
      what: 'the warm-up',
      timeoutMs: 30_000,
    });
    sink.deliveries.length = 0;
    sink.transactions.length = 0;
    await redis.del('rate:events');
    const commandsBefore = await commandsProcessed(redis);
    const started = Date.now();
    // Lows first, so that order of submission cannot explain the highs going first.
    await repo.submit(jobs.slice(60));
    await repo.submit(jobs.slice(0, 60));
    await waitFor(() => sink.deliveries.length >= JOBS, {
      what: `${JOBS} deliveries`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const seconds = (Date.now() - started) / 1000;
    const commandsPerSecond = ((await commandsProcessed(redis)) - commandsBefore) / seconds;

    const times = sink.deliveries.map((d) => d.at).sort((a, b) => a - b);
    const begun = [...sink.transactions].sort((a, b) => a - b);
    // The attempts' own start times (their processing events) hold the limit exactly;
    // the receiving server's clock sees them after a network and scheduling delay.
    const starts = (await redis.xrange('rate:events', '-', '+'))
      .filter(([, fields]) => fields[1] === 'processing')
      .map(([, fields]) => Number(fields[fields.indexOf('ts') + 1]) * 1000)
      .sort((a, b) => a - b);
    expect(busiestSecond(starts)).toBeLessThanOrEqual(LIMIT);
    // At the server, a send that opens a new pooled connection arrives ~100 ms late
    // (smtp-server's greeting delay), and so does one on a loaded machine's late
    // event loop: that puts it in one 1000 ms window with the send a second after it
    // (seen: 21 and 22 of 20 in 1 run of 5 here; and, with the suite's other tests
    // loading both cores, 21 of 20 in a 900 ms window). The start times above hold the limit
    // exactly; the server's view is held to it in any window of 1000 ms less that
    // allowance. A limiter that lets a burst through still fails it.
    expect(busiestSecond(begun, 1000 - SERVER_JITTER_MS)).toBeLessThanOrEqual(LIMIT);
    const achieved = ((times.length - 1) / (times[times.length - 1] - times[0])) * 1000;
    expect(achieved).toBeGreaterThanOrEqual(LIMIT * 0.95);
    // Every high job went out among the first deliveries.
    const firstHighs = sink.deliveries.slice(0, highs.size + 10).filter((d) => highs.has(d.jobId));
    expect(firstHighs).toHaveLength(highs.size);
    // Each job costs a few dozen commands (scripts count the commands they run: about
    // 30 here in all); a worker polling while held back would add thousands per second.
    expect(commandsPerSecond).toBeLessThan(LIMIT * 50);

    console.log(
      `rate limit ${LIMIT}/s: achieved ${achieved.toFixed(2)}/s, busiest second at the server ` +
        `${busiestSecond(begun)} (by start time ${busiestSecond(starts)}, by arrival ${busiestSecond(times)}), ` +
        `${commandsPerSecond.toFixed(0)} Redis commands/s over ${seconds.toFixed(1)} s`,
    );
  });
});

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1]);
}
