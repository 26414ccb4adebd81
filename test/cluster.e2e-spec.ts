import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { JobRepository } from '../src/queue/job.repository';
import { ApiClient, JobJson } from './support/api-client';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob, request } from './support/http';
import { spawnNode } from './support/node-process';
import { jobsSettings } from './support/queue';
import { TestRedisCluster } from './support/redis-cluster';
import { SseClient } from './support/sse';
import { waitFor } from './support/wait';

/**
 * The service on a real Redis Cluster (3 primaries, 3 replicas, started here):
 * the core flows through the HTTP API and a real worker, two queues on two
 * different primaries, and a primary lost during a workload.
 */
describe('Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;
  let prefixA: string;
  let prefixB: string;
  const apps: (TestApi | TestWorker)[] = [];

  const envFor = (prefix: string, extra: Record<string, string> = {}) => ({
    REDIS_CLUSTER_NODES: cluster.seeds,
    QUEUE_PREFIX: prefix,
    JOB_LEASE_MS: '2000',
    METRICS_PORT: '0',
    ...extra,
  });
  async function api(prefix: string, extra: Record<string, string> = {}): Promise<ApiClient> {
    const started = await startApi(envFor(prefix, extra));
    apps.push(started);
    return new ApiClient(started.baseUrl);
  }
  async function worker(prefix: string, extra: Record<string, string> = {}): Promise<void> {
    apps.push(await startWorker(envFor(prefix, extra)));
  }

  beforeAll(async () => {
    cluster = await TestRedisCluster.start(3, 1000);
    client = cluster.client();
    [prefixA, prefixB] = await cluster.prefixesOnDifferentPrimaries('clq', 2);
  }, 60_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    client?.disconnect();
    await cluster?.destroy();
  });

  it('keeps each queue in one slot, on different primaries for the two prefixes', async () => {
    expect(prefixA).toMatch(/^\{clq-\d+\}$/);
    expect(await cluster.primaryPortOf(prefixA)).not.toBe(await cluster.primaryPortOf(prefixB));
  });

  it('runs submit, priority, crash recovery, cancel, listing and events', async () => {
    const a = await api(prefixA);
    const events = await SseClient.open(`${a.baseUrl}/events`);
    try {
      // A job claimed by a worker that then dies: its 300 ms lease runs out.
      const crashed = await a.submitId(emailJob('low', 'crash@example.com'));
      const dead = new JobRepository(client, { queuePrefix: prefixA }, jobsSettings());
      expect((await dead.claim(1, 300, 'dead-worker:1')).jobs.map((j) => j.id)).toEqual([crashed]);
      const low: string[] = [];
      for (let i = 0; i < 3; i++)
        low.push(await a.submitId(emailJob('low', `low${i}@example.com`)));
      const high: string[] = [];
      for (let i = 0; i < 3; i++)
        high.push(await a.submitId(emailJob('high', `hi${i}@example.com`)));
      const scheduled = await a.submitId({ ...emailJob('low'), delay_ms: 600_000 });
      const cancel = await a.cancel(scheduled);
      expect(cancel.status).toBe(200);
      expect(cancel.body.status).toBe('cancelled');
      // The keys are the hash-tagged layout.
      expect(await client.hget(`${prefixA}:hash:${high[0]}`, 'status')).toBe('pending');

      await worker(prefixA, { WORKER_CONCURRENCY: '1', WORKER_CLAIM_AHEAD: 'false' });
      const done: JobJson[] = [];
      for (const id of [...high, ...low, crashed])
        done.push(await a.waitForStatus(id, 'completed'));
      const picked = (ids: string[]) =>
        done.filter((j) => ids.includes(j.job_id)).map((j) => Number(j.picked_ts));
      expect(Math.max(...picked(high))).toBeLessThanOrEqual(Math.min(...picked(low)));
      expect(done.find((j) => j.job_id === crashed)).toMatchObject({ stall_count: 1 });

      const listed = await a.listAll({ limit: 3 });
      expect(listed.map((j) => j.job_id).sort()).toEqual(
        [crashed, ...low, ...high, scheduled].sort(),
      );
      const cancelled = await a.list({ status: 'cancelled' });
      expect(cancelled.body.jobs.map((j) => j.job_id)).toEqual([scheduled]);

      await waitFor(
        () =>
          events.events.some((e) => e.event === 'completed' && e.data.job_id === high[0]) &&
          events.events.some((e) => e.event === 'submitted' && e.data.job_id === low[0]),
        { what: 'submitted and completed events' },
      );
    } finally {
      events.close();
    }
  });

  it('retries failing jobs and serves a second queue on another primary at once', async () => {
    // Rate limiting and idempotency keep their keys in the queue's slot too.
    const b = await api(prefixB, { RATE_LIMIT_PER_MINUTE: '1000' });
    await worker(prefixB, { EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_MAX_RETRIES: '2' });
    const first = await b.submit(emailJob('high'), { 'idempotency-key': 'cluster-once' });
    expect(first.status).toBe(201);
    const replay = await b.submit(emailJob('high'), { 'idempotency-key': 'cluster-once' });
    expect(replay.status).toBe(200);
    expect(replay.body.job_id).toBe(first.body.job_id);
    const id = first.body.job_id;
    const failed = await b.waitForStatus(id, 'failed');
    expect(failed.retry_count).toBe(2);
    const retried = await b.retry(id);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ retry_count: 0 });
    await waitFor(async () => (await b.status(id)).body.retry_count === 2, { what: 'retries' });
    expect(await client.exists(`${prefixB}:hash:${id}`)).toBe(1);
    expect(await client.exists(`${prefixA}:hash:${id}`)).toBe(0);
  });

  it('keeps serving when the queue primary is lost: its replica takes over', async () => {
    const a = await api(prefixA);
    // Started before the failover and never restarted (with the first test's, if it ran).
    await worker(prefixA);
    const accepted: string[] = [];
    let slowestMs = 0;
    const failures: number[] = [];
    let stop = false;
    let killedAt = 0;
    let firstOkAfterKill = 0;
    const submitter = (async () => {
      while (!stop) {
        const started = Date.now();
        const res = await a.submit(emailJob('high')).catch(() => undefined);
        slowestMs = Math.max(slowestMs, Date.now() - started);
        if (res?.status === 201) {
          accepted.push(res.body.job_id);
          if (killedAt && !firstOkAfterKill && started > killedAt) firstOkAfterKill = Date.now();
        } else {
          failures.push(Date.now());
          await sleep(20);
        }
      }
    })();
    try {
      await waitFor(() => accepted.length >= 50, { what: '50 submits before the failover' });
      const port = await cluster.primaryPortOf(prefixA);
      await cluster.waitUntilHealthy();
      killedAt = Date.now();
      await cluster.kill(port);
      await waitFor(async () => (await cluster.primaryPortOf(prefixA)) !== port, {
        what: 'the replica to be promoted',
        intervalMs: 50,
      });
      const promotedMs = Date.now() - killedAt;
      await waitFor(() => firstOkAfterKill > 0, { what: 'submits to resume', timeoutMs: 30_000 });
      const countAtResume = accepted.length;
      await waitFor(() => accepted.length >= countAtResume + 50, { what: '50 submits after' });
      stop = true;
      await submitter;
      const failedMs = failures.length ? failures[failures.length - 1] - failures[0] : 0;
      console.log(
        `cluster failover: replica promoted ${promotedMs} ms after the kill; submits resumed ` +
          `${firstOkAfterKill - killedAt} ms after it; ${failures.length} submits failed over ` +
          `${failedMs} ms; slowest submit ${slowestMs} ms; ${accepted.length} accepted`,
      );
      let ranAgain = 0;
      for (const id of accepted) {
        const done = await a.waitForStatus(id, 'completed');
        if (Number(done.stall_count) > 0) ranAgain++;
      }
      console.log(`cluster failover: ${ranAgain} accepted jobs ran again (duplicate attempt)`);
      const stats = await a.stats();
      expect(stats.status).toBe(200);
      // The probes ask the queue's primary: the promoted replica answers.
      expect((await request(`${a.baseUrl}/health/ready`)).status).toBe(200);
    } finally {
      stop = true;
      await submitter;
    }
  }, 90_000);

  it('cleanup deletes the keys of a queue on the cluster (the built script, as operators run it)', async () => {
    const b = await api(prefixB);
    const id = await b.submitId({ ...emailJob('low'), delay_ms: 600_000 });
    expect(await client.exists(`${prefixB}:hash:${id}`)).toBe(1);
    // The untagged name: the script tags it as the service does.
    const cleanup = spawnNode(
      'scripts/cleanup.js',
      {
        REDIS_CLUSTER_NODES: cluster.seeds,
        QUEUE_PREFIX: prefixB.slice(1, -1),
        LOG_LEVEL: 'error',
      },
      ['--yes'],
    );
    expect(await cleanup.closed).toEqual({ code: 0, signal: null });
    expect(cleanup.stdout()).toMatch(
      new RegExp(`Deleted [1-9]\\d* key\\(s\\) matching \\${prefixB}`),
    );
    expect(await client.exists(`${prefixB}:hash:${id}`)).toBe(0);
  });
});
