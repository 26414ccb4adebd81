import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Where `npm run build` (scripts/build-dashboard.js) writes the page: dist/dashboard-ui. */
export const DASHBOARD_BUILD_DIR = resolve(__dirname, '..', '..', 'dist', 'dashboard-ui');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** Below this size gzip saves too little to be worth a header. */
const GZIP_MIN_BYTES = 1024;

export interface DashboardAsset {
  readonly type: string;
  readonly body: Buffer;
  /** The body gzipped once at load, when that makes it smaller. */
  readonly gzip?: Buffer;
}

function loadAsset(path: string): DashboardAsset {
  const body = readFileSync(path);
  const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  if (body.length < GZIP_MIN_BYTES) return { type, body };
  const gzip = gzipSync(body, { level: 9 });
  return gzip.length < body.length ? { type, body, gzip } : { type, body };
}

/**
 * The built page: index.html and the files of assets/ (hashed names), read once and
 * kept in memory. Only these files are reachable; a name is a key, never a path.
 */
export class DashboardAssets {
  private constructor(
    readonly index: DashboardAsset,
    private readonly assets: ReadonlyMap<string, DashboardAsset>,
  ) {}

  /** null when the page has not been built (a `nest build` without the esbuild step). */
  static load(dir: string = DASHBOARD_BUILD_DIR): DashboardAssets | null {
    const indexPath = join(dir, 'index.html');
    if (!existsSync(indexPath)) return null;
    const assetsDir = join(dir, 'assets');
    const assets = new Map<string, DashboardAsset>();
    if (existsSync(assetsDir)) {
      for (const entry of readdirSync(assetsDir, { withFileTypes: true })) {
        if (entry.isFile()) assets.set(entry.name, loadAsset(join(assetsDir, entry.name)));
      }
    }
    return new DashboardAssets(loadAsset(indexPath), assets);
  }

  asset(name: string): DashboardAsset | undefined {
    return this.assets.get(name);
  }

  get names(): string[] {
    return [...this.assets.keys()];
  }
}

/** Whether an Accept-Encoding header accepts gzip (absent, or with q=0, it does not). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
