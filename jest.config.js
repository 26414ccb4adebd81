// Unit specs sit beside their source (src/**/*.spec.ts); tests against a real Redis,
// real child processes and a real SMTP peer live in test/*.e2e-spec.ts.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Jest's module loader cannot require() an ES module on Node 20 (Node itself can),
 * so the few ESM-only packages in node_modules are transpiled like our own code.
 */
function esmOnlyPackages(dir = join(__dirname, 'node_modules'), found = new Set()) {
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      esmOnlyPackages(join(dir, name), found);
      continue;
    }
    const manifest = join(dir, name, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      if (pkg.type === 'module') found.add(pkg.name.replace(/[.+]/g, '\\$&'));
    } catch {
      // not a package
    }
    esmOnlyPackages(join(dir, name, 'node_modules'), found);
  }
  return found;
}

const transform = { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] };
const transformIgnorePatterns = [`/node_modules/(?!(${[...esmOnlyPackages()].join('|')})/)`];
const common = { testEnvironment: 'node', rootDir: '.', transform, transformIgnorePatterns };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      slowTestThreshold: 30,
    },
  ],
  testTimeout: 60000,
};
