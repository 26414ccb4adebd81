import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect, keysUnder, SHARED_REDIS_URL, uniquePrefix } from './support/redis';

/**
 * Smoke test of the runnable examples (examples/*.js) and the cleanup script, as
 * a user runs them: child processes of the built service, real HTTP, the shared
 * Redis, fast settings through the environment.
 */
const ROOT = join(__dirname, '..');

/** Variables the examples or the service read: the test sets them, never inherits them. */
const INHERITED_NOISE = [
  'QUEUE_PREFIX',
  'WORKERS',
  'JOBS',
  'POLL_MS',
  'WORKER_CONCURRENCY',
  'WORKER_ENABLED',
  'JOB_MAX_RETRIES',
  'JOB_BACKOFF_BASE_MS',
  'JOB_LEASE_MS',
  'EMAIL_SIMULATED_DURATION_MS',
  'EMAIL_SIMULATED_FAILURE_RATE',
];

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[] = [], env: Record<string, string> = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: SHARED_REDIS_URL };
  for (const name of INHERITED_NOISE) delete childEnv[name];
  Object.assign(childEnv, env);
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], {
      cwd: ROOT,
      env: childEnv,
      // stdin is a pipe, not a terminal: the cleanup script cannot ask.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function examplePrefix(output: string): string {
  const match = /key prefix (\S+)/.exec(output);
  if (!match) throw new Error(`no key prefix in the output:\n${output}`);
  return match[1];
}

describe('examples', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = connect();
  });

  afterAll(() => {
    redis.disconnect();
  });

  /** Exit code 0; on failure the assertion shows the example's whole output. */
  function expectSuccess(result: RunResult): void {
    // One string, so that a failure prints all of it (an object match shows only the diff).
    const report = `exit code ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
    expect(report).toMatch(/^exit code 0\n/);
  }

  async function expectCleanedUp(result: RunResult): Promise<void> {
    const prefix = examplePrefix(result.stdout);
    expect(result.stdout).toMatch(/Cleaned up: processes stopped, \d+ key\(s\) matching/);
    expect(await keysUnder(redis, prefix)).toEqual([]);
  }

  it('priority: all high jobs are picked before any low job, FIFO within each', async () => {
    const result = await run('examples/priority.js');
    expectSuccess(result);
    // "     1  high      #6         76078d67  +0.000 s"
    const picks = [...result.stdout.matchAll(/^\s+(\d+)\s+(high|low)\s+#(\d+)\s/gm)].map(
      (m) => `${m[2]}#${m[3]}`,
    );
    expect(picks).toEqual([
      ...[6, 7, 8, 9, 10].map((n) => `high#${n}`),
      ...[1, 2, 3, 4, 5].map((n) => `low#${n}`),
    ]);
    expect(result.stdout).toContain('OK: all 5 high jobs were picked before any low job');
    expect(result.stdout).toContain(
      'OK: within each priority, jobs were picked in submission order',
    );
    await expectCleanedUp(result);
  });

  it('backoff: four attempts with doubling waits, then failed with retry_count 3', async () => {
    const result = await run('examples/backoff.js', [], { JOB_BACKOFF_BASE_MS: '50' });
    expectSuccess(result);
    expect(result.stdout).toContain('JOB_BACKOFF_BASE_MS=50');
    const gaps = [
      ...result.stdout.matchAll(/(\d+\.\d{3}) s after attempt (\d)\s+\(backoff ([\d.]+) s\)/g),
    ];
    expect(gaps.map((m) => Number(m[3]))).toEqual([0.05, 0.1, 0.2]);
    for (const m of gaps) expect(Number(m[1])).toBeGreaterThanOrEqual(Number(m[3]) - 0.002);
    expect(result.stdout).toMatch(/^\s+attempt 4\s/m);
    expect(result.stdout).not.toMatch(/^\s+attempt 5\s/m);
    expect(result.stdout).toMatch(
      /Final: failed, retry_count 3, last_error "simulated send failure"/,
    );
    await expectCleanedUp(result);
  });

  it('workers: three workers share thirty jobs, six in flight at once', async () => {
    const result = await run('examples/workers.js');
    expectSuccess(result);
    const counts = [...result.stdout.matchAll(/^\s+worker (\d)\s+(\d+)\s+#+$/gm)].map((m) =>
      Number(m[2]),
    );
    expect(counts).toHaveLength(3);
    for (const count of counts) expect(count).toBeGreaterThan(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(result.stdout).toContain('Most jobs in flight at once: 6 (3 workers x 2)');
    await expectCleanedUp(result);
  });
});

describe('cleanup script', () => {
  const prefix = uniquePrefix('cleanup');
  const neighbour = `${prefix}-other:keep`; // shares the text, not the "<prefix>:" namespace
  let redis: Redis;

  beforeAll(async () => {
    redis = connect();
    await redis
      .multi()
      .hset(`${prefix}:hash:a`, 'status', 'pending')
      .hset(`${prefix}:hash:b`, 'status', 'failed')
      .lpush(`${prefix}:queue:high`, 'a')
      .zadd(`${prefix}:delayed`, 1, 'b')
      .set(neighbour, 'must survive')
      .exec();
  });

  afterAll(async () => {
    await redis.del(neighbour, `${prefix}:hash:a`, `${prefix}:hash:b`, `${prefix}:queue:high`);
    await redis.del(`${prefix}:delayed`);
    redis.disconnect();
  });

  it('refuses without --yes when there is no terminal to ask on, and deletes nothing', async () => {
    const result = await run('scripts/cleanup.js', [], { QUEUE_PREFIX: prefix });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('without confirmation');
    expect(result.stderr).toContain('--yes');
    expect(await keysUnder(redis, prefix)).toHaveLength(4);
  });

  it('with --yes deletes every key under its prefix and nothing else', async () => {
    const result = await run('scripts/cleanup.js', ['--yes'], { QUEUE_PREFIX: prefix });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Deleted 4 key(s) matching ${prefix}:*`);
    expect(await keysUnder(redis, prefix)).toEqual([]);
    expect(await redis.get(neighbour)).toBe('must survive');
  });
});
