import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The soak run is not part of the test suite (`npm run soak` judges memory growth and
 * latency drift over minutes); this 12-second run (after a 2-second warm-up) only proves that it still runs end to
 * end on the built service: every series is measured, every accepted job is accounted
 * for, and the reports are written. Its slope and drift limits are lifted, since 12
 * seconds say nothing about either.
 */
interface Sample {
  processes: Record<string, { rssMb: number; heapUsedMb: number; heapAfterGcMb: number | null }>;
  redis: { usedMemoryMb: number; keys: number };
  submit: { p50: number | null; p99: number | null };
  e2e: { p50: number | null; p99: number | null };
  completedPerS: number;
}

interface SoakReport {
  pass: boolean;
  systems: {
    jobq: {
      samples: Sample[];
      rssEverySecond: Record<string, [number, number][]>;
      summary: {
        jobs: {
          submitted: number;
          accepted: number;
          completed: number;
          failed: number;
          lost: number;
        };
        memory: { series: string; slopeJudged: number | null }[];
        checks: { name: string; ok: boolean }[];
      };
    };
  };
}

const ROOT = join(__dirname, '..');
const PROCESSES = ['api', 'worker-1', 'worker-2'];

describe('soak run smoke test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobq-soak-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('samples every series, accounts for every job and writes both reports', async () => {
    const out = join(dir, 'soak');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'bench', 'soak.js'),
        ...['--minutes', '0.2', '--warmup-s', '2', '--rate', '50', '--sample-s', '2'],
        ...['--max-slope-mb-h', '1e9', '--max-p99-drift', '1e9'],
        ...['--out', out],
      ],
      { cwd: ROOT, timeout: 90_000, maxBuffer: 10 * 1024 * 1024 },
    );
    expect(stdout).toMatch(/^RESULT: PASS$/m);

    const report = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as SoakReport;
    expect(report.pass).toBe(true);
    const run = report.systems.jobq;
    // 2 + 12 s at 50/s, all answered 201, all finished (5 % fail an attempt, then retry).
    expect(run.summary.jobs).toMatchObject({ submitted: 700, accepted: 700, lost: 0 });
    expect(run.summary.jobs.completed + run.summary.jobs.failed).toBe(700);
    expect(run.summary.checks.every((check) => check.ok)).toBe(true);

    expect(run.samples.length).toBeGreaterThanOrEqual(5);
    const some = (pick: (s: Sample) => number | null | undefined) =>
      run.samples.some((s) => typeof pick(s) === 'number' && (pick(s) as number) > 0);
    for (const name of PROCESSES) {
      expect(some((s) => s.processes[name].rssMb)).toBe(true);
      expect(some((s) => s.processes[name].heapUsedMb)).toBe(true);
      expect(some((s) => s.processes[name].heapAfterGcMb)).toBe(true);
      expect(run.rssEverySecond[name].length).toBeGreaterThanOrEqual(10);
    }
    expect(some((s) => s.redis.usedMemoryMb)).toBe(true);
    expect(some((s) => s.redis.keys)).toBe(true);
    expect(some((s) => s.submit.p50) && some((s) => s.submit.p99)).toBe(true);
    expect(some((s) => s.e2e.p50) && some((s) => s.e2e.p99)).toBe(true);
    expect(some((s) => s.completedPerS)).toBe(true);
    // A slope for every process's RSS and heap and for Redis (a heap's needs 3 full
    // collections in the second half, which 6 seconds may not have).
    expect(run.summary.memory.map((m) => m.series).sort()).toEqual(
      [...PROCESSES.flatMap((p) => [`${p} RSS`, `${p} heap`]), 'Redis used_memory'].sort(),
    );
    for (const m of run.summary.memory.filter((m) => !m.series.endsWith(' heap'))) {
      expect({ series: m.series, slope: typeof m.slopeJudged }).toEqual({
        series: m.series,
        slope: 'number',
      });
    }

    expect(readFileSync(`${out}.md`, 'utf8')).toMatch(/^## Result: PASS$/m);
  }, 120_000);
});
