import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMAIL_TRANSPORT, EmailTransport, OutgoingEmail } from '../src/email/email-transport';
import { JobRepository } from '../src/queue/job.repository';
import { Priority } from '../src/queue/job-keys';
import { NewJob } from '../src/queue/job.types';
import { WorkerAppModule } from '../src/worker-app.module';
import { WorkerService } from '../src/worker/worker.service';
import { applyEnv, testEnv } from './support/apps';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { TestRedisServer } from './support/redis-server';
import { repositoryFor } from './support/queue';
import { waitFor } from './support/wait';

/** A send in progress, which the test finishes (or fails) when it wants. */
interface Send {
  email: OutgoingEmail;
  startedAt: number;
  signal: AbortSignal;
  finish(error?: Error): void;
}

/**
 * An e-mail transport the test drives: every send waits for the test to finish it,
 * unless `autoFinish` says otherwise. It stands in for the network, not for Redis.
 */
class ScriptedTransport implements EmailTransport {
  readonly sends: Send[] = [];
  /** Sends started and not finished, now and at most. */
  running = 0;
  maxRunning = 0;
  private listeners: (() => void)[] = [];

  constructor(
    private autoFinish?: (email: OutgoingEmail, attempt: number) => Error | undefined | 'hold',
  ) {}

  send(email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = this.sends.filter((s) => s.email.jobId === email.jobId).length + 1;
      this.running += 1;
      this.maxRunning = Math.max(this.maxRunning, this.running);
      let finished = false;
      const send: Send = {
        email,
        startedAt: Date.now(),
        signal,
        finish: (error) => {
          if (!finished) this.running -= 1;
          finished = true;
          if (error) reject(error);
          else resolve();
        },
      };
      this.sends.push(send);
      this.listeners.forEach((l) => l());
      const outcome = this.autoFinish?.(email, attempt);
      if (outcome !== 'hold' && this.autoFinish) send.finish(outcome);
    });
  }

  started(jobId: string): Send[] {
    return this.sends.filter((s) => s.email.jobId === jobId);
  }
}

interface Harness {
  context: INestApplicationContext;
  worker: WorkerService;
  repo: JobRepository;
  transport: ScriptedTransport;
}

async function startScriptedWorker(
  env: Record<string, string>,
  transport: ScriptedTransport,
): Promise<Harness> {
  applyEnv(testEnv(env));
  const moduleRef = await Test.createTestingModule({ imports: [WorkerAppModule.forRoot()] })
    .overrideProvider(EMAIL_TRANSPORT)
    .useValue(transport)
    .compile();
  moduleRef.useLogger(['error']);
  const context = await moduleRef.init();
  return {
    context,
    worker: context.get(WorkerService),
    repo: context.get(JobRepository),
    transport,
  };
}

describe('worker', () => {
  const prefix = uniquePrefix('worker');
  let redis: Redis;
  let harness: Harness | undefined;

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: SHARED_REDIS_URL,
    QUEUE_PREFIX: prefix,
    ...extra,
  });

  async function submit(repo: JobRepository, priority: Priority, n = 1): Promise<string[]> {
    const jobs = Array.from({ length: n }, (_, i) => ({
      id: randomUUID(),
      type: 'send_email',
      priority,
      payloadJson: JSON.stringify({ to: `${priority}${i}@example.com` }),
    }));
    await repo.submit(jobs);
    return jobs.map((j) => j.id);
  }

  const statusOf = async (id: string) => redis.hget(`${prefix}:hash:${id}`, 'status');

  beforeAll(() => {
    redis = connect();
  });

  afterEach(async () => {
    await harness?.context.close();
    harness = undefined;
    await deletePrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  it('runs high before low, FIFO within each, one at a time with concurrency 1', async () => {
    const repo = repositoryFor(redis, prefix);
    const lows = await submit(repo, 'low', 3);
    const highs = await submit(repo, 'high', 3);
    harness = await startScriptedWorker(
      env({ WORKER_CONCURRENCY: '1' }),
      new ScriptedTransport(() => undefined),
    );
    await waitFor(
      async () =>
        (await Promise.all([...lows, ...highs].map(statusOf))).every((s) => s === 'completed'),
      {
        what: 'all completed',
      },
    );
    expect(harness.transport.sends.map((s) => s.email.jobId)).toEqual([...highs, ...lows]);
  });

  it('a high job submitted while low jobs wait is started before them', async () => {
    const transport = new ScriptedTransport();
    harness = await startScriptedWorker(env({ WORKER_CONCURRENCY: '1' }), transport);
    const [low1, low2] = await submit(harness.repo, 'low', 2);
    const first = await waitFor(() => transport.sends[0], { what: 'first send' });
    expect(first.email.jobId).toBe(low1);
    const [high] = await submit(harness.repo, 'high');
    first.finish();
    const second = await waitFor(() => transport.sends[1], { what: 'second send' });
    expect(second.email.jobId).toBe(high);
    second.finish();
    const third = await waitFor(() => transport.sends[2], { what: 'third send' });
    expect(third.email.jobId).toBe(low2);
    third.finish();
  });

  it('runs WORKER_CONCURRENCY jobs at once, each under its own lease', async () => {
    const transport = new ScriptedTransport();
    harness = await startScriptedWorker(env({ WORKER_CONCURRENCY: '3' }), transport);
    const ids = await submit(harness.repo, 'high', 5);
    await waitFor(() => transport.sends.length === 3, { what: '3 sends' });
    expect(await redis.zcard(`${prefix}:inflight`)).toBe(3);
    const processing = ids
      .slice(0, 3)
      .map((id) => redis.hget(`${prefix}:hash:${id}`, 'lease_token'));
    expect(new Set(await Promise.all(processing)).size).toBe(3);
    expect((await Promise.all(ids.map(statusOf))).sort()).toEqual([
      'pending',
      'pending',
      'processing',
      'processing',
      'processing',
    ]);
    expect(harness.worker.activeCount).toBe(3);
    transport.sends.forEach((s) => s.finish());
    await waitFor(() => transport.sends.length === 5, { what: 'the other 2 sends' });
    transport.sends.slice(3).forEach((s) => s.finish());
    await waitFor(
      async () => (await Promise.all(ids.map(statusOf))).every((s) => s === 'completed'),
      { what: 'all done' },
    );
    expect(await redis.zcard(`${prefix}:inflight`)).toBe(0);
  });

  it('retries with exponential backoff, then fails with retry_count = JOB_MAX_RETRIES', async () => {
    const transport = new ScriptedTransport(() => new Error('mailbox busy'));
    harness = await startScriptedWorker(
      env({ JOB_BACKOFF_BASE_MS: '100', JOB_MAX_RETRIES: '3' }),
      transport,
    );
    const [id] = await submit(harness.repo, 'high');
    await waitFor(async () => (await statusOf(id)) === 'failed', { what: 'failed' });
    const attempts = transport.started(id);
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((a, i) => a.startedAt - attempts[i].startedAt);
    // Lower bounds only: a retry may start late on a busy machine, never early.
    expect(gaps[0]).toBeGreaterThanOrEqual(95);
    expect(gaps[1]).toBeGreaterThanOrEqual(195);
    expect(gaps[2]).toBeGreaterThanOrEqual(395);
    const hash = await redis.hgetall(`${prefix}:hash:${id}`);
    expect(hash).toMatchObject({ status: 'failed', retry_count: '3', last_error: 'mailbox busy' });
    // Finished: no next attempt.
    expect(hash.available_after).toBe('');
  });

  it('succeeds on a retry after transient failures', async () => {
    const transport = new ScriptedTransport((_email, attempt) =>
      attempt < 3 ? new Error(`try ${attempt}`) : undefined,
    );
    harness = await startScriptedWorker(env({ JOB_BACKOFF_BASE_MS: '20' }), transport);
    const [id] = await submit(harness.repo, 'low');
    await waitFor(async () => (await statusOf(id)) === 'completed', { what: 'completed' });
    expect(await redis.hgetall(`${prefix}:hash:${id}`)).toMatchObject({
      retry_count: '2',
      last_error: 'try 2',
    });
    expect(transport.started(id)).toHaveLength(3);
  });

  it('a high job in backoff does not stop low jobs from running', async () => {
    const transport = new ScriptedTransport((email) =>
      email.to.startsWith('high') ? new Error('try later') : undefined,
    );
    harness = await startScriptedWorker(
      env({ WORKER_CONCURRENCY: '1', JOB_BACKOFF_BASE_MS: '60000' }),
      transport,
    );
    const [high] = await submit(harness.repo, 'high');
    await waitFor(async () => (await redis.zscore(`${prefix}:delayed`, high)) !== null, {
      what: 'high in backoff',
    });
    const lows = await submit(harness.repo, 'low', 3);
    await waitFor(
      async () => (await Promise.all(lows.map(statusOf))).every((s) => s === 'completed'),
      {
        what: 'lows completed',
      },
    );
    expect(await statusOf(high)).toBe('pending');
    expect(transport.started(high)).toHaveLength(1);
  });

  it('stops the attempt (abort signal) and discards its result when the lease is lost', async () => {
    const transport = new ScriptedTransport();
    harness = await startScriptedWorker(env({ JOB_LEASE_MS: '600' }), transport);
    const [id] = await submit(harness.repo, 'high');
    const send = await waitFor(() => transport.sends[0], { what: 'send' });
    await redis.hset(`${prefix}:hash:${id}`, 'lease_token', 'another-worker:1:1');
    await waitFor(() => send.signal.aborted, { what: 'abort on lease loss' });
    send.finish();
    await waitFor(() => harness?.worker.activeCount === 0, { what: 'slot freed' });
    expect(await statusOf(id)).toBe('processing');
    expect(await redis.hget(`${prefix}:hash:${id}`, 'lease_token')).toBe('another-worker:1:1');
  });

  it('aborts an attempt past JOB_ATTEMPT_TIMEOUT_MS, even one that ignores its signal, and retries it', async () => {
    // 'hold': every send waits for the test, which never finishes it.
    const transport = new ScriptedTransport(() => 'hold');
    harness = await startScriptedWorker(
      env({
        WORKER_CONCURRENCY: '1',
        JOB_ATTEMPT_TIMEOUT_MS: '300',
        JOB_MAX_RETRIES: '1',
        JOB_BACKOFF_BASE_MS: '10',
      }),
      transport,
    );
    const [hung, next] = await submit(harness.repo, 'high', 2);
    await waitFor(async () => (await statusOf(hung)) === 'failed', {
      what: 'two timed-out attempts',
    });
    const attempts = transport.started(hung);
    expect(attempts).toHaveLength(2);
    // Each attempt's signal fired, and its slot was freed although the send never returned.
    expect(attempts.every((a) => a.signal.aborted)).toBe(true);
    const hash = await redis.hgetall(`${prefix}:hash:${hung}`);
    expect(hash).toMatchObject({ status: 'failed', retry_count: '1' });
    expect(hash.last_error).toMatch(/^timeout: /);
    expect(hash.last_error).toContain('300 ms');
    await waitFor(() => transport.started(next).length > 0, { what: 'the next job to start' });
  });

  describe('claiming ahead (short jobs)', () => {
    /** The events the queue wrote for a job, in order. */
    const eventsOf = async (id: string): Promise<string[]> =>
      (await redis.xrange(`${prefix}:events`, '-', '+'))
        .map(([, fields]) => fields)
        .filter((fields) => fields[3] === id)
        .map((fields) => fields[1]);

    async function submitTo(repo: JobRepository, kind: 'fast' | 'slow', n: number) {
      return Promise.all(
        Array.from({ length: n }, () => randomUUID()).map(async (id, i) => {
          await repo.submit([
            {
              id,
              type: 'send_email',
              priority: 'high',
              payloadJson: JSON.stringify({ to: `${kind}${i}@example.com` }),
            },
          ]);
          return id;
        }),
      );
    }

    /** Jobs in one call, in this order (FIFO). */
    async function submitInOrder(repo: JobRepository, kinds: ('fast' | 'slow')[]) {
      const jobs = kinds.map((kind, i): NewJob => ({
        id: randomUUID(),
        type: 'send_email',
        priority: 'high',
        payloadJson: JSON.stringify({ to: `${kind}${i}@example.com` }),
      }));
      await repo.submit(jobs);
      return jobs.map((j) => j.id);
    }

    const slowHeld = () =>
      new ScriptedTransport((email) => (email.to.startsWith('slow') ? 'hold' : undefined));

    it('claims the next jobs while short ones run, never runs more than WORKER_CONCURRENCY, and hands back those that find no slot', async () => {
      const transport = slowHeld();
      harness = await startScriptedWorker(
        env({ WORKER_CONCURRENCY: '2', WORKER_CLAIM_AHEAD: 'true' }),
        transport,
      );
      const warm = await submitTo(harness.repo, 'fast', 20);
      await waitFor(
        async () => (await Promise.all(warm.map(statusOf))).every((s) => s === 'completed'),
        {
          what: 'warm-up jobs completed',
        },
      );

      const [slow1, slow2, fast1, fast2] = await submitInOrder(harness.repo, [
        'slow',
        'slow',
        'fast',
        'fast',
      ]);
      await waitFor(() => transport.started(slow1).length + transport.started(slow2).length === 2, {
        what: 'both slots taken by the held jobs',
      });
      // Claimed ahead while both slots are taken: leased, not started.
      await waitFor(async () => (await eventsOf(fast2)).includes('processing'), {
        what: 'the next jobs claimed ahead',
      });
      expect(transport.started(fast1)).toHaveLength(0);
      expect(transport.started(fast2)).toHaveLength(0);

      // No slot frees within CLAIM_AHEAD_MAX_WAIT_MS: both go back, in their order.
      await waitFor(async () => (await statusOf(fast2)) === 'pending', { what: 'handed back' });
      await waitFor(async () => (await statusOf(fast1)) === 'pending', { what: 'handed back' });
      expect(await redis.lrange(`${prefix}:queue:high`, 0, -1)).toEqual([fast2, fast1]);
      expect(await redis.zcard(`${prefix}:inflight`)).toBe(2);

      transport.sends.filter((s) => s.email.to.startsWith('slow')).forEach((s) => s.finish());
      const all = [slow1, slow2, fast1, fast2];
      await waitFor(
        async () => (await Promise.all(all.map(statusOf))).every((s) => s === 'completed'),
        {
          what: 'all completed',
        },
      );
      expect(transport.maxRunning).toBe(2);
      // Handed back, not stalled and not a failed attempt: the job ran once, in order.
      expect(await eventsOf(fast1)).toEqual([
        'submitted',
        'processing',
        'released',
        'processing',
        'completed',
      ]);
      const order = transport.sends.map((s) => s.email.jobId);
      expect(order.indexOf(fast1)).toBeLessThan(order.indexOf(fast2));
      expect(transport.started(fast1)).toHaveLength(1);
      expect(await redis.hget(`${prefix}:hash:${fast1}`, 'retry_count')).toBe('0');
    });

    it('is off with WORKER_CLAIM_AHEAD=false: a job is claimed only into a free slot', async () => {
      const transport = slowHeld();
      harness = await startScriptedWorker(
        env({ WORKER_CONCURRENCY: '2', WORKER_CLAIM_AHEAD: 'false' }),
        transport,
      );
      const warm = await submitTo(harness.repo, 'fast', 20);
      await waitFor(
        async () => (await Promise.all(warm.map(statusOf))).every((s) => s === 'completed'),
        {
          what: 'warm-up jobs completed',
        },
      );
      const [slow1, slow2, fast1] = await submitInOrder(harness.repo, ['slow', 'slow', 'fast']);
      await waitFor(() => transport.sends.length === 22, { what: 'both slots taken' });
      // Nothing to await for something that must not happen: long enough that a worker
      // claiming ahead would have claimed fast1 and handed it back (100 ms) by now.
      await sleep(400);
      expect(await eventsOf(fast1)).toEqual(['submitted']);
      transport.sends.filter((s) => s.email.to.startsWith('slow')).forEach((s) => s.finish());
      await waitFor(
        async () =>
          (await Promise.all([slow1, slow2, fast1].map(statusOf))).every((s) => s === 'completed'),
        { what: 'all completed' },
      );
      expect(await eventsOf(fast1)).toEqual(['submitted', 'processing', 'completed']);
    });
  });

  describe('graceful shutdown', () => {
    it('stops claiming and lets the in-flight job finish', async () => {
      const transport = new ScriptedTransport();
      harness = await startScriptedWorker(env({ WORKER_CONCURRENCY: '1' }), transport);
      const [first, second] = await submit(harness.repo, 'high', 2);
      const send = await waitFor(() => transport.sends[0], { what: 'send' });
      const closing = harness.context.close();
      await waitFor(() => !harness?.worker.isRunning, { what: 'stopping' });
      send.finish();
      await closing;
      harness = undefined;
      expect(await statusOf(first)).toBe('completed');
      expect(await statusOf(second)).toBe('pending');
      expect(transport.sends).toHaveLength(1);
    });

    it('hands unfinished jobs back to the front of the queue after the shutdown timeout', async () => {
      const transport = new ScriptedTransport();
      harness = await startScriptedWorker(
        env({ WORKER_CONCURRENCY: '2', WORKER_SHUTDOWN_TIMEOUT_MS: '100' }),
        transport,
      );
      const [a, b, c] = await submit(harness.repo, 'low', 3);
      await waitFor(() => transport.sends.length === 2, { what: '2 sends' });
      await harness.context.close();
      harness = undefined;
      expect(transport.sends.every((s) => s.signal.aborted)).toBe(true);
      expect(await Promise.all([a, b, c].map(statusOf))).toEqual(['pending', 'pending', 'pending']);
      // a and b go back to the consuming end in their order (a runs next), ahead of c.
      expect(await redis.lrange(`${prefix}:queue:low`, 0, -1)).toEqual([c, b, a]);
      expect(await redis.zcard(`${prefix}:inflight`)).toBe(0);
      // A late result of an abandoned attempt is refused.
      transport.sends.forEach((s) => s.finish());
    });
  });
});

describe('idle worker', () => {
  let server: TestRedisServer;
  let harness: Harness | undefined;

  beforeAll(async () => {
    server = await TestRedisServer.start();
  });

  afterAll(async () => {
    await harness?.context.close();
    await server.destroy();
  });

  it('blocks in Redis instead of polling: a handful of commands per second, and wakes for a new job', async () => {
    const transport = new ScriptedTransport(() => undefined);
    harness = await startScriptedWorker({ REDIS_URL: server.url, QUEUE_PREFIX: 'idle' }, transport);
    const probe = connect(server.url);
    try {
      const commands = async () => {
        const info = await probe.info('stats');
        return Number(/total_commands_processed:(\d+)/.exec(info)?.[1]);
      };
      // Let start-up traffic (script loading, first claim) pass before measuring.
      await waitFor(async () => String(await probe.client('LIST')).includes('cmd=bzpopmin'), {
        what: 'worker blocking',
      });
      const start = await commands();
      const startedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const elapsedS = (Date.now() - startedAt) / 1000;
      const sent = (await commands()) - start - 1; // minus our own INFO
      expect(sent / elapsedS).toBeLessThanOrEqual(5);

      const [id] = await submit(harness.repo, 'high');
      await waitFor(() => transport.started(id).length === 1, { what: 'pickup' });
    } finally {
      probe.disconnect();
    }

    async function submit(repo: JobRepository, priority: Priority): Promise<string[]> {
      const id = randomUUID();
      await repo.submit([
        { id, type: 'send_email', priority, payloadJson: '{"to":"a@example.com"}' },
      ]);
      return [id];
    }
  });
});
