// Builds the dashboard (src/dashboard/web) into dist/dashboard-ui: one JS and one CSS
// file with content hashes in their names, index.html pointing at them, the icon.
// Run by `npm run build` after `nest build` (which empties dist/).
const esbuild = require('esbuild');
const {
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  readdirSync,
  statSync,
} = require('node:fs');
const { basename, join, relative } = require('node:path');
const { gzipSync } = require('node:zlib');
const { createHash } = require('node:crypto');

const ROOT = join(__dirname, '..');
const SOURCE = join(ROOT, 'src', 'dashboard', 'web');
const OUT = join(ROOT, 'dist', 'dashboard-ui');

/** Every file of the built page with its size and gzip size (level 9, as served). */
function measure(dir = OUT) {
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const body = readFileSync(path);
        files.push({
          file: relative(dir, path),
          bytes: body.length,
          gzip: gzipSync(body, { level: 9 }).length,
        });
      }
    }
  };
  walk(dir);
  return files;
}

async function buildDashboard({ outDir = OUT, quiet = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(SOURCE, 'main.tsx') },
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(SOURCE, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'warning',
  });
  const names = {};
  for (const output of Object.keys(result.metafile.outputs)) {
    const name = basename(output);
    const match = /^app-[A-Z0-9]+\.(js|css)$/.exec(name);
    if (match) names[`app.${match[1]}`] = name;
  }
  if (!names['app.js'] || !names['app.css']) {
    throw new Error(
      `esbuild produced no app.js / app.css: ${Object.keys(result.metafile.outputs)}`,
    );
  }
  const icon = readFileSync(join(SOURCE, 'favicon.svg'));
  const iconHash = createHash('sha256').update(icon).digest('hex').slice(0, 8);
  names['favicon.svg'] = `favicon-${iconHash}.svg`;
  copyFileSync(join(SOURCE, 'favicon.svg'), join(assets, names['favicon.svg']));

  const template = readFileSync(join(SOURCE, 'index.html'), 'utf8');
  const html = template.replace(/\{\{([\w.]+)\}\}/g, (_, key) => {
    if (!names[key]) throw new Error(`index.html names an unknown asset: ${key}`);
    return names[key];
  });
  writeFileSync(join(outDir, 'index.html'), html);

  const files = measure(outDir);
  if (!quiet) {
    const total = files.reduce((sum, f) => sum + f.gzip, 0);
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    for (const f of files)
      console.log(`  ${f.file.padEnd(36)} ${kb(f.bytes).padStart(9)}  gzip ${kb(f.gzip)}`);
    console.log(`Dashboard built in ${relative(ROOT, outDir)}: ${kb(total)} gzipped in all`);
  }
  return files;
}

module.exports = { buildDashboard, measure, OUT };

if (require.main === module) {
  buildDashboard().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
