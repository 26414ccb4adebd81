import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode } from './support/node-process';

/** The compose files, checked without a Docker engine (scripts/check-compose.js). */
describe('docker compose files', () => {
  it('parse, set only configuration variables, and run commands and probes the images have', async () => {
    const run = spawnNode('scripts/check-compose.js', {});
    expect(await run.closed).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain('docker-compose.yml, docker-compose.sentinel.yml');
  });

  it('names what is wrong in a broken compose file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobq-compose-'));
    try {
      const file = join(dir, 'docker-compose.yml');
      writeFileSync(
        file,
        [
          'services:',
          '  api:',
          '    build: .',
          '    command: [node, dist/nothing.js]',
          '    environment:',
          '      REDIS_SENTINELZ: s:26379',
          '    healthcheck:',
          "      test: [CMD, curl, 'http://127.0.0.1:3000/health/nowhere']",
          '',
        ].join('\n'),
      );
      const run = spawnNode('scripts/check-compose.js', {}, [file]);
      expect(await run.closed).toEqual({ code: 1, signal: null });
      expect(run.stderr().trim().split('\n')).toEqual([
        'service api (docker-compose.yml): sets REDIS_SENTINELZ, which the configuration does not read',
        'service api (docker-compose.yml): node dist/nothing.js is not a file the build produces',
        'service api (docker-compose.yml): healthcheck runs curl, not in the image',
        'service api (docker-compose.yml): healthcheck asks for /health/nowhere, not served',
      ]);
      writeFileSync(file, 'services:\n  api: [unclosed\n');
      const broken = spawnNode('scripts/check-compose.js', {}, [file]);
      expect(await broken.closed).toEqual({ code: 1, signal: null });
      expect(broken.stderr()).toContain('docker-compose.yml: not valid YAML');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
