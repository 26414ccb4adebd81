import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { acceptsGzip, DashboardAssets } from './dashboard-assets';

describe('DashboardAssets', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dashboard-assets-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is null when the page was not built', () => {
    expect(DashboardAssets.load(dir)).toBeNull();
  });

  it('serves index.html and the files of assets/ by name, gzipped when that helps', () => {
    const script = 'console.log("dashboard");\n'.repeat(200);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'app-ABC.js'), script);
    writeFileSync(join(dir, 'assets', 'icon.svg'), '<svg/>');
    writeFileSync(join(dir, 'secret.txt'), 'outside assets/');
    const assets = DashboardAssets.load(dir)!;
    expect(assets.index.type).toBe('text/html; charset=utf-8');
    const js = assets.asset('app-ABC.js')!;
    expect(js.type).toBe('application/javascript; charset=utf-8');
    expect(gunzipSync(js.gzip!).toString()).toBe(script);
    // Too small to gain from gzip.
    expect(assets.asset('icon.svg')?.type).toBe('image/svg+xml');
    expect(assets.asset('icon.svg')?.gzip).toBeUndefined();
    for (const name of ['../secret.txt', 'secret.txt', '../index.html', 'constructor']) {
      expect(assets.asset(name)).toBeUndefined();
    }
    expect(assets.names.sort()).toEqual(['app-ABC.js', 'icon.svg']);
  });
});

describe('acceptsGzip', () => {
  it.each([
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.5', true],
    ['*', true],
    ['gzip;q=0', false],
    ['identity', false],
    ['', false],
    [undefined, false],
  ])('%p -> %p', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
