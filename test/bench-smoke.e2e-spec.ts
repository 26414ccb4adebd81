import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The benchmark is not part of the test suite (speed is checked by `npm run bench`,
 * never by assertions here); this smoke run with a tiny N only proves it still runs
 * end to end, so it cannot rot.
 */
describe('benchmark smoke run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobq-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures this service beside its references and writes the table', async () => {
    const out = join(dir, 'quick.md');
    await promisify(execFile)(process.execPath, ['bench/run.js', '--quick'], {
      env: { ...process.env, BENCH_OUT: out },
      timeout: 240_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    const table = readFileSync(out, 'utf8');
    for (const metric of [
      'Drain throughput, W=1',
      'Drain throughput, W=2',
      'Redis CPU per job, W=1',
      'Worker CPU per job, W=1',
      'Drain throughput, W=1, events on',
      'Pickup latency on an idle worker, p50',
      'Scheduled job lateness, p50',
      'Scheduled job lateness, p99',
      'Redis commands/s sent by an idle worker',
      'Redis memory per retained completed job',
      'Single submit, 50 in flight',
      'Single submit vs NestJS + BullMQ (req/s)',
      'Single submit, rate limiter on (req/s)',
      'Bulk submit, 1,000 per call',
      'Bulk submit, rate limiter on',
      'Status read, 50 in flight',
      'Status read, rate limiter on',
    ]) {
      const row = table.split('\n').find((line) => line.startsWith(`| ${metric}`));
      expect(row).toBeDefined();
      // Both this service and the row's reference produced a number.
      expect(
        (row as string)
          .split('|')
          .slice(2, 4)
          .every((cell) => /\d/.test(cell)),
      ).toBe(true);
    }
  }, 300_000);
});
