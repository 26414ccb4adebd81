import Redis from 'ioredis';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { JobRepository } from '../src/queue/job.repository';
import { WorkerService } from '../src/worker/worker.service';
import { startWorker, TestWorker } from './support/apps';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';

/**
 * A worker must not keep anything per cycle of its loop: a promise reaction, a
 * listener, a map entry or a timer kept per idle wait or per job grows without
 * bound under a steady load (a soak run once found ~300 bytes kept per idle wait:
 * every wait was raced against one long-lived "stop requested" promise).
 *
 * No timing here: the loop is driven through thousands of idle and busy cycles,
 * each awaited through the worker's own events, and the heap retained after a
 * full garbage collection is compared before and after.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedHeap(): number {
  // Several passes: weak references and finalizers need more than one to let go.
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Most heap growth allowed per cycle once warmed up. The heap after a full GC still
 * moves by a few hundred KB between two readings (V8's own tables, code), i.e.
 * up to ~60 bytes over the cycles below; the leak this guards against kept ~600
 * bytes per idle cycle here.
 */
const MAX_BYTES_PER_CYCLE = 100;

describe('worker memory', () => {
  const prefix = uniquePrefix('worker-memory');
  let redis: Redis;
  let harness: TestWorker;
  let repo: JobRepository;
  let worker: WorkerService;

  beforeAll(async () => {
    redis = connect();
    harness = await startWorker({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      WORKER_CONCURRENCY: '20',
      // The claim-ahead path (opt-in) is driven too: its queue and timer must not leak.
      WORKER_CLAIM_AHEAD: 'true',
      EMAIL_SIMULATED_FAILURE_RATE: '0.2',
      JOB_MAX_RETRIES: '1',
      JOB_BACKOFF_BASE_MS: '0',
      JOB_RETENTION_COMPLETED_S: '5',
      JOB_RETENTION_FAILED_S: '5',
    });
    worker = harness.worker;
    repo = harness.context.get(JobRepository);
  });

  afterAll(async () => {
    await harness.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  /** Submits `n` jobs and resolves once each has ended (completed or failed for good). */
  async function runJobs(n: number): Promise<void> {
    const ids = new Set<string>();
    const done = new Promise<void>((resolve) => {
      const onSettled = ({ job, outcome }: { job: { id: string }; outcome: string }): void => {
        if (outcome === 'retry' || !ids.delete(job.id) || ids.size > 0) return;
        worker.events.off('settled', onSettled);
        resolve();
      };
      worker.events.on('settled', onSettled);
    });
    const jobs = Array.from({ length: n }, (_, i) => ({
      id: randomUUID(),
      type: 'send_email',
      priority: i % 3 === 0 ? ('high' as const) : ('low' as const),
      payloadJson: JSON.stringify({ to: `user${i}@example.com`, subject: 'Hi' }),
    }));
    for (const job of jobs) ids.add(job.id);
    await repo.submit(jobs);
    await done;
  }

  /** One idle cycle: a single job is claimed, run and settled, then the loop waits again. */
  async function idleCycle(): Promise<void> {
    const idle = once(worker.events, 'idle');
    await runJobs(1);
    await idle;
  }

  it('keeps no memory per idle wait or per job', async () => {
    const cycles = async (idleCycles: number, busyCycles: number): Promise<void> => {
      for (let i = 0; i < idleCycles; i++) await idleCycle();
      for (let i = 0; i < busyCycles; i++) await runJobs(20);
    };
    // Warm-up: code compiled, pools and connections at their working size.
    await cycles(1000, 50);
    const before = retainedHeap();
    const idleCycles = 5000;
    const busyCycles = 250;
    await cycles(idleCycles, busyCycles);
    const after = retainedHeap();
    const perCycle = (after - before) / (idleCycles + busyCycles);
    expect(perCycle).toBeLessThan(MAX_BYTES_PER_CYCLE);
    // Cycles, not time, make the test: on a busy machine they take longer.
  }, 240_000);
});
