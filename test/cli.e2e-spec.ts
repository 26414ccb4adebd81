import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { ApiClient, JobJson, JobListJson } from './support/api-client';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob } from './support/http';
import { ROOT, spawnNode } from './support/node-process';
import { connect, deletePrefix, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

/**
 * The jobq CLI as people and scripts run it: `node dist/cli.js` as a child process
 * (built by `npm test` before jest runs) against the real API on a port of its own,
 * workers in this process where jobs must run. --json output is parsed and compared
 * with what the API answers to the same request.
 */

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('jobq CLI', () => {
  const prefix = uniquePrefix('cli');
  let redis: Redis;
  let api: TestApi;
  let client: ApiClient;
  let worker: TestWorker | undefined;

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: SHARED_REDIS_URL,
    QUEUE_PREFIX: prefix,
    ...extra,
  });

  /** Runs `node dist/cli.js ...args` against the test API (JOBQ_URL) and waits for it to end. */
  async function jobq(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
    const child = spawnNode('dist/cli.js', { JOBQ_URL: api.baseUrl, ...extraEnv }, args);
    const { code } = await child.closed;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  /** Runs a command that must succeed with --json and returns its parsed stdout. */
  async function jobqJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
    const run = await jobq([...args, '--json']);
    if (run.code !== 0) throw new Error(`jobq ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  const submit = (to: string, priority: 'high' | 'low' = 'low', extra = {}) =>
    client.submitId({ ...emailJob(priority, to), ...extra });

  async function runWorker(extra: Record<string, string> = {}): Promise<TestWorker> {
    worker = await startWorker(env(extra));
    return worker;
  }

  beforeAll(async () => {
    redis = connect();
    api = await startApi(env());
    client = new ApiClient(api.baseUrl);
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await deletePrefix(redis, prefix);
  });

  afterAll(async () => {
    await api.close();
    redis.disconnect();
  });

  describe('submit', () => {
    it("--json prints the API's answer, and the job is what the options say", async () => {
      const run = await jobq([
        'submit',
        '--to',
        'alice@example.com',
        '--subject',
        'Welcome aboard',
        '--body',
        'Thanks for signing up.',
        '--priority',
        'high',
        '--json',
      ]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const answer = JSON.parse(run.stdout) as { job_id: string };
      expect(answer).toEqual({ job_id: expect.stringMatching(UUID), status: 'pending' });
      expect((await client.job(answer.job_id)).body).toMatchObject({
        job_type: 'send_email',
        priority: 'high',
        status: 'pending',
        payload: {
          to: 'alice@example.com',
          subject: 'Welcome aboard',
          body: 'Thanks for signing up.',
        },
        available_after: null,
      });
    });

    it('for people: one line with the id; low priority unless told', async () => {
      const run = await jobq(['submit', '--to', 'bob@example.com']);
      expect(run.code).toBe(0);
      const match = /^Submitted job (\S+) \(pending, low priority\)\.\n$/.exec(run.stdout);
      expect(match).not.toBeNull();
      expect((await client.job(match![1])).body).toMatchObject({
        priority: 'low',
        payload: { to: 'bob@example.com' },
      });
    });

    it('schedules with --delay-ms and --run-at', async () => {
      const before = Date.now() / 1000;
      const delayed = await jobqJson<{ job_id: string }>([
        'submit',
        '--to',
        'later@example.com',
        '--delay-ms',
        '60000',
      ]);
      const job = (await client.job(delayed.job_id)).body;
      expect(job.available_after as number).toBeGreaterThanOrEqual(before + 59);
      expect(job.available_after as number).toBeLessThan(before + 120);

      const at = new Date(Math.round(Date.now() / 1000 + 3600) * 1000);
      // The same instant one hour east of UTC: the offset is the API's to read.
      const inParis = new Date(at.getTime() + 3600_000).toISOString().replace('Z', '+01:00');
      const scheduled = await jobqJson<{ job_id: string }>([
        'submit',
        '--to',
        'at@example.com',
        '--run-at',
        inParis,
      ]);
      const atJob = (await client.job(scheduled.job_id)).body;
      expect(atJob.available_after as number).toBeCloseTo(at.getTime() / 1000, 3);
    });

    it('--idempotency-key: the same key and job create one job', async () => {
      const args = ['submit', '--to', 'once@example.com', '--idempotency-key', 'order-42-welcome'];
      const first = await jobqJson<{ job_id: string }>(args);
      const second = await jobq(args);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain(`Job ${first.job_id} was already submitted`);
      expect((await client.list({ to: 'once@example.com' })).body.jobs).toHaveLength(1);
    });

    it("the API's validation applies: exit 1, its message on stderr, its body with --json, nothing written", async () => {
      const before = await keysUnder(redis, prefix);
      const run = await jobq(['submit', '--to', 'not-an-address', '--json']);
      expect(run.code).toBe(1);
      const body = JSON.parse(run.stdout) as { statusCode: number; errors: { field: string }[] };
      expect(body.statusCode).toBe(400);
      expect(body.errors.map((e) => e.field)).toEqual(['payload.to']);
      expect(run.stderr).toMatch(
        /^error: payload\.to must be .*\(HTTP 400, REQUEST\.INVALID_FIELDS\)\n$/,
      );

      const tooLate = new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString();
      const late = await jobq(['submit', '--to', 'a@example.com', '--run-at', tooLate]);
      expect(late.code).toBe(1);
      expect(late.stdout).toBe('');
      expect(late.stderr).toContain('run_at must be at most 365 days ahead');
      expect(await keysUnder(redis, prefix)).toEqual(before);
    });
  });

  describe('status', () => {
    it("--json is the API's body; people get every field", async () => {
      const id = await submit('carol@example.com', 'high', { delay_ms: 60_000 });
      const json = await jobqJson(['status', id]);
      expect(json).toEqual((await client.job(id)).body);

      const run = await jobq(['status', id]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^job +${id}$`, 'm'));
      expect(run.stdout).toMatch(/^status +pending \(in \d+\.\ds\)$/m);
      expect(run.stdout).toMatch(/^payload\.to +carol@example\.com$/m);
      expect(run.stdout).toMatch(/^created +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(.* ago\)$/m);
    });

    it('an unknown id is exit 1 with the 404 message; a malformed one with the 400 message', async () => {
      const missing = '0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7';
      const run = await jobq(['status', missing, '--json']);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`error: job ${missing} not found (HTTP 404, JOB.NOT_FOUND)\n`);
      expect(JSON.parse(run.stdout)).toEqual((await client.job(missing)).body);

      const bad = await jobq(['status', 'not-a-uuid']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('job_id must be a UUID');
      // The id is a path segment: it cannot reach another route.
      const traversal = await jobq(['status', '../stats']);
      expect(traversal.code).toBe(1);
      expect(traversal.stderr).toContain('(HTTP 400');
    });

    it('--watch follows the job until it completes, one line per change, exit 0', async () => {
      await runWorker({ EMAIL_SIMULATED_DURATION_MS: '1000' });
      // Scheduled far enough ahead that the CLI, started on a loaded machine, sees it pending.
      const id = await submit('watched@example.com', 'low', { delay_ms: 2000 });
      const run = await jobq(['status', id, '--watch', '--json', '--interval-ms', '50']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const lines = run.stdout.trimEnd().split('\n');
      // Each line is a change: no two in a row are the same.
      lines.slice(1).forEach((line, i) => expect(line).not.toBe(lines[i]));
      const seen = lines.map((line) => JSON.parse(line) as JobJson);
      const statuses = seen.map((job) => job.status).filter((s, i, all) => s !== all[i - 1]);
      expect(statuses).toEqual(['pending', 'processing', 'completed']);
      expect(seen[seen.length - 1]).toEqual((await client.job(id)).body);

      const other = await submit('watched2@example.com');
      const human = await jobq(['status', other, '--watch', '--interval-ms', '50']);
      expect(human.code).toBe(0);
      const humanLines = human.stdout.trimEnd().split('\n');
      expect(humanLines[0]).toBe(`job ${other}: send_email, low, to watched2@example.com`);
      expect(humanLines[humanLines.length - 1]).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3}Z {2}completed {3}after 1 attempt\(s\), .* after it was created$/,
      );
    });

    it('--watch ends with exit 1 when the job fails', async () => {
      await runWorker({ EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_MAX_RETRIES: '1' });
      const id = await submit('doomed@example.com');
      const run = await jobq(['status', id, '--watch', '--interval-ms', '50']);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`error: job ${id} ended failed\n`);
      expect(run.stdout).toMatch(
        /failed {6}after 2 attempt\(s\).*last error: simulated send failure/,
      );
    });
  });

  describe('list', () => {
    /** 6 pending jobs (2 high, 2 to Carol) and one cancelled. */
    async function someJobs(): Promise<string[]> {
      const ids: string[] = [];
      ids.push(await submit('Carol@Example.com', 'high'));
      ids.push(await submit('dan@example.com'));
      ids.push(await submit('carol@example.com'));
      ids.push(await submit('erin@example.com', 'high'));
      ids.push(await submit('frank@example.com'));
      ids.push(await submit('grace@example.com'));
      expect((await client.cancel(ids[4])).status).toBe(200);
      return ids;
    }

    it('--json is GET /jobs with the same filters, each of them', async () => {
      await someJobs();
      const cases: [string[], Record<string, string | number>][] = [
        [[], {}],
        [['--status', 'cancelled'], { status: 'cancelled' }],
        [['--status', 'pending', '--priority', 'high'], { status: 'pending', priority: 'high' }],
        [['--to', 'CAROL@example.com'], { to: 'CAROL@example.com' }],
        [['--type', 'send_email', '--limit', '2'], { job_type: 'send_email', limit: 2 }],
        [['--type', 'no_such_type'], { job_type: 'no_such_type' }],
      ];
      for (const [args, query] of cases) {
        const fromCli = await jobqJson<JobListJson>(['list', ...args]);
        expect(fromCli).toEqual((await client.list(query)).body);
      }
      expect(
        (await jobqJson<JobListJson>(['list', '--to', 'carol@example.com'])).jobs,
      ).toHaveLength(2);
    });

    it('for people: a table, newest first, one row per job', async () => {
      await someJobs();
      const newestFirst = (await client.list()).body.jobs.map((job) => job.job_id);
      const run = await jobq(['list']);
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(
        /^JOB ID +STATUS +PRIORITY +TYPE +TO +CREATED +RETRIES +LAST ERROR$/,
      );
      expect(lines.slice(1, -1).map((line) => line.split(/\s+/)[0])).toEqual(newestFirst);
      expect(lines[lines.length - 1]).toBe('6 job(s)');
      // Columns line up: every row's status starts where the header's STATUS does.
      const column = lines[0].indexOf('STATUS');
      for (const line of lines.slice(1, -1))
        expect(line.slice(column)).toMatch(/^(pending|cancelled) /);

      const none = await jobq(['list', '--status', 'failed']);
      expect(none).toMatchObject({ code: 0, stdout: 'No jobs match.\n' });
    });

    it('--all follows next_cursor over several pages and prints one combined body', async () => {
      for (let i = 0; i < 12; i++) await submit(`page${i}@example.com`, i % 2 ? 'high' : 'low');
      const firstPage = await client.list({ limit: 5 });
      expect(firstPage.body.next_cursor).not.toBeNull();

      const all = await jobqJson<JobListJson>(['list', '--all', '--limit', '5']);
      expect(all).toEqual({ jobs: await client.listAll({ limit: 5 }), next_cursor: null });
      expect(new Set(all.jobs.map((j) => j.job_id)).size).toBe(12);
      const high = await jobqJson<JobListJson>([
        'list',
        '--all',
        '--limit',
        '2',
        '--priority',
        'high',
      ]);
      expect(high.jobs.map((j) => j.job_id)).toEqual(
        (await client.listAll({ limit: 2, priority: 'high' })).map((j) => j.job_id),
      );
      expect(high.jobs).toHaveLength(6);

      // Without --all, people are told how to go on, and --cursor does.
      const paged = await jobq(['list', '--limit', '5']);
      const cursor = /add --cursor (\S+) for the next page/.exec(paged.stdout)?.[1];
      expect(cursor).toBe(firstPage.body.next_cursor);
      const second = await jobqJson<JobListJson>(['list', '--limit', '5', '--cursor', cursor!]);
      expect(second).toEqual((await client.list({ limit: 5, cursor: cursor! })).body);
    });
  });

  describe('stats', () => {
    it('--json is GET /stats; people get counts and the workers', async () => {
      await submit('a@example.com', 'high');
      await submit('b@example.com', 'low', { delay_ms: 60_000 });
      const fromCli = await jobqJson<Record<string, unknown>>(['stats']);
      const fromApi = (await client.stats()).body;
      // oldest_ready_age_s grows between the two calls; everything else holds still.
      expect({ ...fromCli, oldest_ready_age_s: null }).toEqual({
        ...fromApi,
        oldest_ready_age_s: null,
      });
      expect(fromCli).toMatchObject({ ready: { high: 1, low: 0 }, scheduled: 1, processing: 0 });

      await runWorker({ EMAIL_SIMULATED_DURATION_MS: '60000' });
      await waitFor(async () => (await client.stats()).body.processing === 1, {
        what: 'the job processing',
      });
      const run = await jobq(['stats']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^processing +1$/m);
      expect(run.stdout).toMatch(/^scheduled +1 {2}waiting for their run_at or a retry$/m);
      expect(run.stdout).toMatch(/^workers: 1 alive, \d+ of 5 slots busy$/m);
      expect(run.stdout).toMatch(/^WORKER +HOST +PID +BUSY +STARTED +LAST SEEN$/m);
    });

    it('--watch refreshes until Ctrl-C, which exits 0', async () => {
      const child = spawnNode('dist/cli.js', { JOBQ_URL: api.baseUrl }, [
        'stats',
        '--watch',
        '--json',
        '--interval-ms',
        '100',
      ]);
      await waitFor(() => child.stdout().split('\n').length >= 4, { what: 'three refreshes' });
      child.child.kill('SIGINT');
      expect(await child.closed).toEqual({ code: 0, signal: null });
      const lines = child.stdout().trimEnd().split('\n');
      for (const line of lines) {
        expect(Object.keys(JSON.parse(line) as object).sort()).toEqual(
          Object.keys((await client.stats()).body).sort(),
        );
      }
    });
  });

  describe('steering', () => {
    it('cancel: a pending job at once; again is the 409, exit 1', async () => {
      const id = await submit('cancel@example.com');
      const cancelled = await jobqJson<JobJson>(['cancel', id]);
      expect(cancelled).toMatchObject({ job_id: id, status: 'cancelled' });
      expect(cancelled).toEqual((await client.job(id)).body);

      const again = await jobq(['cancel', id]);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(
        `error: job ${id} is cancelled and cannot be cancelled (HTTP 409, JOB.NOT_CANCELLABLE)\n`,
      );
      const other = await submit('cancel2@example.com');
      expect(await jobq(['cancel', other])).toMatchObject({
        code: 0,
        stdout: `Cancelled job ${other}.\n`,
      });
    });

    it('cancel: a processing job is 202 with cancel_requested, then ends cancelled', async () => {
      await runWorker({ EMAIL_SIMULATED_DURATION_MS: '60000' });
      const id = await submit('slow@example.com');
      await client.waitForStatus(id, 'processing');
      const answer = await jobqJson<JobJson>(['cancel', id]);
      expect(answer).toMatchObject({ job_id: id, status: 'processing', cancel_requested: true });
      const watch = await jobq(['status', id, '--watch', '--interval-ms', '50']);
      expect(watch.code).toBe(1);
      expect(watch.stderr).toBe(`error: job ${id} ended cancelled\n`);
    });

    it('retry: a cancelled job runs again; a pending one is the 409, exit 1', async () => {
      const id = await submit('retry@example.com');
      await client.cancel(id);
      const retried = await jobqJson<JobJson>(['retry', id]);
      expect(retried).toMatchObject({ job_id: id, status: 'pending', retry_count: 0 });
      expect(retried).toEqual((await client.job(id)).body);

      const again = await jobq(['retry', id]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('only failed or cancelled jobs can be retried (HTTP 409');
    });

    it('retry-failed and purge', async () => {
      const w = await runWorker({ EMAIL_SIMULATED_FAILURE_RATE: '1', JOB_MAX_RETRIES: '0' });
      const failed = [
        await submit('f1@example.com', 'high'),
        await submit('f2@example.com', 'low'),
        await submit('f3@example.com', 'low'),
      ];
      for (const id of failed) await client.waitForStatus(id, 'failed');
      await w.close();
      worker = undefined;

      expect(await jobqJson(['retry-failed', '--priority', 'high'])).toEqual({ retried: 1 });
      expect((await client.job(failed[0])).body.status).toBe('pending');
      expect(await jobq(['retry-failed', '--max', '1'])).toMatchObject({
        code: 0,
        stdout: 'Queued 1 failed job(s) again.\n',
      });
      const stillFailed = (await client.list({ status: 'failed' })).body.jobs;
      expect(stillFailed).toHaveLength(1);

      // Without --yes nothing is deleted.
      const refused = await jobq(['purge', '--status', 'failed']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('purge deletes jobs for good: add --yes to confirm');
      expect((await client.job(stillFailed[0].job_id)).status).toBe(200);

      expect(
        await jobqJson(['purge', '--status', 'failed', '--older-than-s', '3600', '--yes']),
      ).toEqual({ deleted: 0 });
      expect(await jobq(['purge', '--status', 'failed', '--yes'])).toMatchObject({
        code: 0,
        stdout: 'Deleted 1 failed job(s).\n',
      });
      expect((await client.job(stillFailed[0].job_id)).status).toBe(404);
    });
  });

  describe('exit codes', () => {
    it.each([
      [['nope'], "error: unknown command 'nope'"],
      [['list', '--bogus'], "error: unknown option '--bogus'"],
      [['status'], "error: missing required argument 'job-id'"],
      [['list', '--limit', 'abc'], "option '--limit <n>' argument 'abc' is invalid"],
      [['list', '--limit', '1e3'], "option '--limit <n>' argument '1e3' is invalid"],
      [['list', '--status', 'done'], 'Allowed choices are pending, processing'],
      [
        ['submit', '--to', 'a@example.com', '--priority', 'urgent'],
        'Allowed choices are high, low',
      ],
      [['submit'], "error: required option '--to <address>' not specified"],
      [
        ['submit', '--to', 'a@example.com', '--run-at', '2030-01-01T00:00:00Z', '--delay-ms', '5'],
        "option '--run-at <time>' cannot be used with option '--delay-ms <ms>'",
      ],
      [['submit', '--to', 'a@example.com', '--delay-ms', '-5'], "argument '-5' is invalid"],
      [['purge', '--yes'], "error: required option '--status <status>' not specified"],
      [
        ['purge', '--status', 'pending', '--yes'],
        'Allowed choices are completed, failed, cancelled',
      ],
      [['purge', '--status', 'completed'], 'add --yes to confirm'],
      [['cleanup'], 'cleanup deletes every key of the queue: add --yes to confirm'],
      [['--url', 'ftp://example.com', 'stats'], 'must be an http:// or https:// URL'],
      [['stats', '--timeout-ms', '0'], "option '--timeout-ms <ms>' argument '0' is invalid"],
      [[], 'Usage: jobq'],
    ])('usage error %j: exit 2, nothing sent', async (args, message) => {
      const run = await jobq(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    });

    it('--help and --version exit 0', async () => {
      const help = await jobq(['--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: jobq \[options\] \[command\]/);
      for (const name of [
        'submit',
        'status',
        'list',
        'stats',
        'cancel',
        'retry',
        'retry-failed',
        'purge',
        'cleanup',
      ]) {
        expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      }
      const listHelp = await jobq(['list', '--help']);
      expect(listHelp.code).toBe(0);
      expect(listHelp.stdout).toContain('\n  {"jobs": [...], "next_cursor": null}\n');
      const version = await jobq(['--version']);
      const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
      expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    });

    it("is the package's jobq bin: runs on its own (shebang, executable)", async () => {
      const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as {
        version: string;
        bin: Record<string, string>;
      };
      expect(pkg.bin).toEqual({ jobq: 'dist/cli.js' });
      const child = spawn(join(ROOT, pkg.bin.jobq), ['--version'], {
        env: { PATH: process.env.PATH ?? '' },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      expect({ code, stdout }).toEqual({ code: 0, stdout: `${pkg.version}\n` });
    });

    it('connection refused: exit 1, naming the URL', async () => {
      const url = `http://127.0.0.1:${await closedPort()}`;
      const run = await jobq(['list'], { JOBQ_URL: url });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `error: cannot reach the API at ${url}: connection refused (is the service running? set --url or JOBQ_URL)\n`,
      );
      // --url wins over JOBQ_URL.
      const viaOption = await jobq(['--url', api.baseUrl, 'list', '--json'], { JOBQ_URL: url });
      expect(viaOption.code).toBe(0);
    });

    it('--timeout-ms: a server that never answers is exit 1', async () => {
      const sockets: Socket[] = [];
      const silent: Server = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
      await once(silent, 'listening');
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      try {
        const run = await jobq(['stats', '--timeout-ms', '300'], { JOBQ_URL: url });
        expect(run.code).toBe(1);
        expect(run.stderr).toBe(
          `error: no answer from the API at ${url} within 300 ms (--timeout-ms)\n`,
        );
      } finally {
        for (const socket of sockets) socket.destroy();
        silent.close();
      }
    });
  });

  describe('API keys', () => {
    const KEY = 'cli-plain-key-0123456789';
    const ADMIN = 'cli-admin-key-0123456789';
    let locked: TestApi;

    beforeAll(async () => {
      locked = await startApi(env({ API_KEYS: KEY, ADMIN_API_KEYS: ADMIN }));
    });

    afterAll(async () => {
      await locked.close();
    });

    const withKey = (args: string[], extraEnv: Record<string, string> = {}) =>
      jobq(args, { JOBQ_URL: locked.baseUrl, ...extraEnv });

    it('without a key: the 401, exit 1, and a hint', async () => {
      const run = await withKey(['list']);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        'error: A valid API key is required: Authorization: Bearer <key> or X-API-Key: <key> ' +
          '(HTTP 401, AUTH.UNAUTHORIZED); pass --api-key or set JOBQ_API_KEY\n',
      );
      const wrong = await withKey(['list', '--api-key', 'not-the-key-0123456789']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('(HTTP 401');
    });

    it('--api-key and JOBQ_API_KEY are sent as a bearer token', async () => {
      const viaOption = await withKey([
        'submit',
        '--to',
        'key@example.com',
        '--api-key',
        KEY,
        '--json',
      ]);
      expect(viaOption.code).toBe(0);
      const { job_id: id } = JSON.parse(viaOption.stdout) as { job_id: string };
      const viaEnv = await withKey(['status', id, '--json'], { JOBQ_API_KEY: KEY });
      expect(viaEnv.code).toBe(0);
      expect(JSON.parse(viaEnv.stdout)).toMatchObject({ job_id: id, status: 'pending' });

      // Steering needs an admin key when ADMIN_API_KEYS is set: the API's 403, exit 1.
      const plain = await withKey(['cancel', id], { JOBQ_API_KEY: KEY });
      expect(plain.code).toBe(1);
      expect(plain.stderr).toContain(
        'needs an admin API key (ADMIN_API_KEYS) (HTTP 403, AUTH.FORBIDDEN)',
      );
      const admin = await withKey(['cancel', id, '--api-key', ADMIN], { JOBQ_API_KEY: KEY });
      expect(admin).toMatchObject({ code: 0, stdout: `Cancelled job ${id}.\n` });
    });
  });

  describe('cleanup', () => {
    it('--yes deletes every key under QUEUE_PREFIX, as npm run cleanup does', async () => {
      const own = uniquePrefix('cli-cleanup');
      const neighbour = `${own}-other:keep`;
      await redis
        .multi()
        .hset(`${own}:hash:a`, 'status', 'pending')
        .lpush(`${own}:queue:high`, 'a')
        .set(neighbour, 'must survive')
        .exec();
      try {
        const run = await jobq(['cleanup', '--yes'], {
          REDIS_URL: SHARED_REDIS_URL,
          QUEUE_PREFIX: own,
        });
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(`Deleted 2 key(s) matching ${own}:*`);
        expect(await keysUnder(redis, own)).toEqual([]);
        expect(await redis.get(neighbour)).toBe('must survive');

        // --prefix and --redis-url name the queue instead of the environment.
        await redis.set(`${own}:hash:b`, 'x');
        const byOption = await jobq([
          'cleanup',
          '--yes',
          '--prefix',
          own,
          '--redis-url',
          SHARED_REDIS_URL,
        ]);
        expect(byOption.stdout).toContain(`Deleted 1 key(s) matching ${own}:*`);
      } finally {
        await redis.del(neighbour, `${own}:hash:b`);
      }
    });
  });
});
