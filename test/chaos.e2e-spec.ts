import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The chaos run in its short form (bench/chaos.js --short): the built API and
 * workers as child processes on a redis-server of the run's own (AOF, free port),
 * a few hundred jobs over HTTP while workers are SIGKILLed, the APIs killed and
 * restarted and Redis shut down and started again from its AOF; then every
 * invariant checked (see the script's header). It needs dist/ (npm test builds
 * first) and never touches the shared Redis.
 */
const ROOT = join(__dirname, '..');

/** The run stops itself well before this (hard deadline 120 s with --short). */
const KILL_AFTER_MS = 150_000;

/** Options that would make the run longer or keep its files: the test sets none. */
const INHERITED = [
  'CHAOS_JOBS',
  'CHAOS_RATE',
  'CHAOS_KILL_INTERVAL_MS',
  'CHAOS_REDIS_DOWN_MS',
  'CHAOS_SMTP_SHARE',
  'CHAOS_KEEP',
];

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function runShortChaos(): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED) delete env[name];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'chaos.js'), '--short'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGINT, not SIGKILL: the script then stops its processes and removes its files.
    const timer = setTimeout(() => child.kill('SIGINT'), KILL_AFTER_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** A row of the Markdown summary table: `| lost | 0 |`. */
function summaryValue(stdout: string, label: string): string | undefined {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\|\\s*${escaped}\\s*\\|\\s*(.*?)\\s*\\|\\s*$`, 'm').exec(stdout)?.[1];
}

describe('chaos run (--short)', () => {
  it(
    'loses no job while workers, APIs and Redis are killed and restarted',
    async () => {
      const result = await runShortChaos();
      // On failure the assertion shows the whole output: seed, invariants, diagnostics.
      // One string, so that a failure prints all of it (an object match shows only the diff).
      const report = `exit code ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
      expect(report).toMatch(/^exit code 0\n/);
      expect(result.stdout).toMatch(/^Chaos run \(--short\): seed \d+$/m);
      expect(summaryValue(result.stdout, 'lost')).toBe('0');
      expect(summaryValue(result.stdout, 'stuck')).toBe('0');
      expect(result.stdout).not.toMatch(/^\s+FAIL\s/m);
      expect(result.stdout).toMatch(/^RESULT: PASS \(seed \d+\)$/m);
      // The chaos really happened.
      const kills = summaryValue(result.stdout, 'worker kills (SIGKILL)') ?? '';
      expect(Number(kills.split(' ')[0])).toBeGreaterThan(0);
      expect(summaryValue(result.stdout, 'API restarts (SIGKILL)')).toMatch(/^1 /);
      expect(summaryValue(result.stdout, 'Redis restarts (SHUTDOWN, AOF reload)')).toMatch(/^1 /);
    },
    KILL_AFTER_MS + 10_000,
  );
});
