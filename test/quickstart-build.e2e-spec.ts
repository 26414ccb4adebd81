import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm start` rebuilds only when a build input changed since the last build
 * (scripts/lib.sh build_if_stale), checked on a project of its own whose `build`
 * script counts its runs.
 */
describe('npm start: build only when sources changed', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jobq-quickstart-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(__dirname, '..', 'scripts', 'lib.sh'), join(dir, 'scripts', 'lib.sh'));
    // As nest build does: empty dist/, write the output; fails when FAIL_BUILD exists.
    writeFileSync(
      join(dir, 'build.js'),
      `const fs = require('node:fs');
       fs.appendFileSync('builds.log', 'build\\n');
       if (fs.existsSync('FAIL_BUILD')) process.exit(1);
       fs.rmSync('dist', { recursive: true, force: true });
       fs.mkdirSync('dist');
       fs.writeFileSync('dist/main.js', '');`,
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'p', private: true, scripts: { build: 'node build.js' } }),
    );
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    writeFileSync(join(dir, 'tsconfig.json'), '{}');
    mkdirSync(join(dir, 'src', 'jobs'), { recursive: true });
    writeFileSync(join(dir, 'src', 'main.ts'), '');
    writeFileSync(join(dir, 'src', 'jobs', 'jobs.service.ts'), '');
    // Inputs older than any build to come.
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/main.ts'])
      age(path);
    age('src/jobs/jobs.service.ts');
    age('src/jobs');
    age('src');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Sets a file's mtime `seconds` from now (the past by default). */
  function age(path: string, seconds = -60): void {
    const t = Date.now() / 1000 + seconds;
    utimesSync(join(dir, path), t, t);
  }

  async function start(): Promise<{ built: number; output: string }> {
    const { stdout } = await promisify(execFile)(
      'bash',
      ['-c', 'set -euo pipefail; source scripts/lib.sh; build_if_stale'],
      { cwd: dir },
    ).catch((error: { stdout: string }) => ({ stdout: `FAILED ${error.stdout}` }));
    const log = join(dir, 'builds.log');
    const built = existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0;
    return { built, output: stdout };
  }

  it('builds the first time, then not again while nothing changed', async () => {
    expect((await start()).built).toBe(1);
    expect(existsSync(join(dir, 'dist', '.build-stamp'))).toBe(true);
    const again = await start();
    expect(again.built).toBe(1);
    expect(again.output).toContain('up to date');
  });

  /** Moves the last build 30 s into the past, so that a change 10 s ago came after it. */
  function buildLongAgo(): void {
    age('dist/.build-stamp', -30);
  }

  it('rebuilds after a source file or a config file changed', async () => {
    await start();
    buildLongAgo();
    age('src/jobs/jobs.service.ts', -10);
    expect((await start()).built).toBe(2);
    expect((await start()).built).toBe(2);
    buildLongAgo();
    age('package-lock.json', -10);
    expect((await start()).built).toBe(3);
    buildLongAgo();
    age('tsconfig.json', -10);
    expect((await start()).built).toBe(4);
  });

  it('rebuilds after a source file was removed or added', async () => {
    await start();
    buildLongAgo();
    rmSync(join(dir, 'src', 'jobs', 'jobs.service.ts'));
    age('src/jobs', -10); // what the removal did to the folder, pinned to a known time
    expect((await start()).built).toBe(2);
    buildLongAgo();
    writeFileSync(join(dir, 'src', 'new.ts'), '');
    age('src', -10);
    age('src/new.ts', -120); // a file added with an old mtime (copied, unpacked)
    expect((await start()).built).toBe(3);
  });

  it('builds again when dist/ is gone or the last build failed', async () => {
    await start();
    rmSync(join(dir, 'dist'), { recursive: true });
    expect((await start()).built).toBe(2);
    buildLongAgo();
    age('src/main.ts', -10);
    writeFileSync(join(dir, 'FAIL_BUILD'), '');
    expect((await start()).output).toContain('FAILED');
    rmSync(join(dir, 'FAIL_BUILD'));
    // No stamp newer than the change: the next start builds again, and only once.
    expect((await start()).built).toBe(4);
    expect((await start()).built).toBe(4);
  });
});
