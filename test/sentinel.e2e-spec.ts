import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './support/api-client';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob } from './support/http';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { SENTINEL_MASTER, TestSentinelDeployment } from './support/redis-sentinel';
import { waitFor } from './support/wait';

interface FailoverRun {
  accepted: string[];
  /** Accepted (201) jobs that no longer exist after the failover. */
  lost: string[];
  /** Accepted jobs that ran more than once (a claim or completion lost with the primary: stall_count > 0). */
  ranAgain: number;
  failedSubmits: number;
  /** From the kill until the first submit sent after it was accepted. */
  resumedMs: number;
  promotedMs: number;
}

/**
 * The service through Sentinel on a deployment the test starts (a primary, a
 * replica, three sentinels): the primary is SIGKILLed under a steady submit
 * workload; with REDIS_WAIT_REPLICAS=1 no accepted job is lost.
 */
describe('Redis Sentinel', () => {
  let deployment: TestSentinelDeployment;
  const apps: (TestApi | TestWorker)[] = [];

  beforeAll(async () => {
    deployment = await TestSentinelDeployment.start(1000);
  }, 60_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await deployment?.destroy();
  });

  const envFor = (prefix: string, waitReplicas: string) => ({
    REDIS_SENTINELS: deployment.sentinelList,
    REDIS_SENTINEL_MASTER: SENTINEL_MASTER,
    REDIS_WAIT_REPLICAS: waitReplicas,
    QUEUE_PREFIX: prefix,
    JOB_LEASE_MS: '2000',
    METRICS_PORT: '0',
  });

  /** A steady submit workload across the loss of the primary. */
  async function failover(prefix: string, waitReplicas: string): Promise<FailoverRun> {
    const started = await startApi(envFor(prefix, waitReplicas));
    apps.push(started);
    apps.push(await startWorker({ ...envFor(prefix, waitReplicas), WORKER_ENABLED: 'true' }));
    const api = new ApiClient(started.baseUrl);
    const accepted: string[] = [];
    let failedSubmits = 0;
    let stop = false;
    let killedAt = 0;
    let resumedAt = 0;
    const submitter = (async () => {
      while (!stop) {
        const sentAt = Date.now();
        const res = await api.submit(emailJob('high')).catch(() => undefined);
        if (res?.status === 201) {
          accepted.push(res.body.job_id);
          if (killedAt && !resumedAt && sentAt > killedAt) resumedAt = Date.now();
        } else {
          failedSubmits++;
          await sleep(20);
        }
      }
    })();
    try {
      await waitFor(() => accepted.length >= 50, { what: '50 submits before the failover' });
      const old = await deployment.primaryPort();
      killedAt = Date.now();
      await deployment.kill(old);
      await waitFor(async () => (await deployment.primaryPort()) !== old, {
        what: 'the replica to be promoted',
        intervalMs: 50,
      });
      const promotedMs = Date.now() - killedAt;
      // The old primary comes back; the sentinels make it the new primary's replica.
      await deployment.restart(old);
      await waitFor(() => resumedAt > 0, { what: 'submits to resume', timeoutMs: 30_000 });
      const countAtResume = accepted.length;
      await waitFor(() => accepted.length >= countAtResume + 50, { what: '50 submits after' });
      stop = true;
      await submitter;
      const lost: string[] = [];
      for (const id of accepted) {
        const res = await api.status(id);
        if (res.status === 404) lost.push(id);
      }
      let ranAgain = 0;
      for (const id of accepted.filter((id) => !lost.includes(id))) {
        const done = await api.waitForStatus(id, 'completed');
        if (Number(done.stall_count) > 0) ranAgain++;
      }
      await deployment.waitUntilSettled();
      return {
        accepted,
        lost,
        ranAgain,
        failedSubmits,
        resumedMs: resumedAt - killedAt,
        promotedMs,
      };
    } finally {
      stop = true;
      await submitter;
    }
  }

  const report = (label: string, run: FailoverRun) =>
    console.log(
      `sentinel failover (${label}): promoted ${run.promotedMs} ms after the kill; submits ` +
        `resumed ${run.resumedMs} ms after it; ${run.failedSubmits} submits failed; ` +
        `${run.accepted.length} accepted, ${run.lost.length} of them lost, ` +
        `${run.ranAgain} ran again (duplicate attempt)`,
    );

  it('with REDIS_WAIT_REPLICAS=1, the primary is killed: the replica takes over, no accepted job is lost', async () => {
    const run = await failover('sentinel-wait', '1');
    report('REDIS_WAIT_REPLICAS=1', run);
    expect(run.lost).toEqual([]);
    expect(run.accepted.length).toBeGreaterThanOrEqual(100);
  }, 90_000);

  it('control run with REDIS_WAIT_REPLICAS=0 (reports what was lost)', async () => {
    const run = await failover('sentinel-nowait', '0');
    report('REDIS_WAIT_REPLICAS=0', run);
    expect(run.accepted.length).toBeGreaterThanOrEqual(100);
  }, 90_000);

  it('answers 503 JOB.NOT_REPLICATED within the timeout when no replica acknowledges', async () => {
    // The shared Redis has no replica: WAIT 1 can only time out.
    const prefix = uniquePrefix('not-replicated');
    const started = await startApi({
      REDIS_URL: SHARED_REDIS_URL,
      QUEUE_PREFIX: prefix,
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT_MS: '300',
    });
    apps.push(started);
    const api = new ApiClient(started.baseUrl);
    const redis = connect();
    try {
      const sentAt = Date.now();
      const res = await api.submit(emailJob('high'), { 'idempotency-key': 'not-replicated-1' });
      const tookMs = Date.now() - sentAt;
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'JOB.NOT_REPLICATED',
      });
      expect(tookMs).toBeGreaterThanOrEqual(290);
      expect(tookMs).toBeLessThan(2000);
      // The job was written (it may still run); the retry with the same key creates nothing new.
      const again = await api.submit(emailJob('high'), { 'idempotency-key': 'not-replicated-1' });
      expect(again.status).toBe(503);
      const hashes = await redis.keys(`${prefix}:hash:*`);
      expect(hashes).toHaveLength(1);
    } finally {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
