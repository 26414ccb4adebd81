#!/usr/bin/env node
// Checks the compose files without a Docker engine:
//   - each file parses as YAML (anchors and aliases resolved);
//   - every environment variable a service of our image sets is one the service
//     reads (src/config/env.ts, where the configuration is validated);
//   - every command of our image runs a file the build produces (dist/<name>.js from
//     src/<name>.ts), and the redis image's commands are its own executables;
//   - every healthcheck calls an executable the image has, and an HTTP probe asks for
//     a path the service serves.
//
//   node scripts/check-compose.js                      docker-compose*.yml
//   node scripts/check-compose.js some/compose.yml ... these files (merged in order,
//                                                      as docker compose -f ... -f ...)
// Exit code 0 when everything holds, 1 with one line per problem otherwise.
'use strict';

const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const YAML = require('yaml');

const ROOT = join(__dirname, '..');
const OUR_IMAGE = 'job-queue:local';
/** What the redis image offers (a Debian base: a POSIX shell too). */
const REDIS_EXECUTABLES = new Set(['redis-server', 'redis-cli', 'redis-sentinel', 'sh']);
/** What the service image offers (node:*-slim: no curl, no wget). */
const IMAGE_EXECUTABLES = new Set(['node', 'sh']);

/** Variable names the configuration reads: the first argument of every EnvReader call. */
function configVariables() {
  const source = readFileSync(join(ROOT, 'src', 'config', 'env.ts'), 'utf8');
  const names = new Set();
  for (const m of source.matchAll(/\br\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]);
  return names;
}

/** True when the HTTP service answers GET `path` (a controller route or the metrics server). */
function served(path) {
  const [first, ...rest] = path.replace(/^\//, '').split('/');
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) files.push(full);
    }
  };
  walk(join(ROOT, 'src'));
  return files.some((file) => {
    const text = readFileSync(file, 'utf8');
    if (text.includes(`path === '${path}'`)) return true;
    return (
      text.includes(`@Controller('${first}')`) &&
      (rest.length === 0 || text.includes(`@Get('${rest.join('/')}')`))
    );
  });
}

function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : String(value).split(/\s+/);
}

function environmentNames(environment) {
  if (!environment) return [];
  if (Array.isArray(environment)) return environment.map((entry) => String(entry).split('=')[0]);
  return Object.keys(environment);
}

/** Merges compose files as `docker compose -f a -f b` does, for the fields checked here. */
function merge(files) {
  const services = {};
  for (const file of files) {
    const doc = YAML.parse(readFileSync(file, 'utf8'), { merge: true });
    for (const [name, service] of Object.entries(doc?.services ?? {})) {
      const into = (services[name] ??= { files: [] });
      into.files.push(basename(file));
      for (const key of ['image', 'build', 'command', 'healthcheck']) {
        if (service[key] !== undefined) into[key] = service[key];
      }
      const env = service.environment;
      if (env) {
        into.environment = [...(into.environment ?? []), ...environmentNames(env)];
      }
    }
  }
  return services;
}

function check(files) {
  const problems = [];
  for (const file of files) {
    try {
      YAML.parse(readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
    } catch (error) {
      problems.push(`${basename(file)}: not valid YAML: ${error.message}`);
    }
  }
  if (problems.length > 0) return problems;
  const known = configVariables();
  for (const [name, service] of Object.entries(merge(files))) {
    const where = `service ${name} (${service.files.join(', ')})`;
    const ours = service.build !== undefined || service.image === OUR_IMAGE;
    const redis = typeof service.image === 'string' && /^redis(:|$)/.test(service.image);
    if (!ours && !redis) {
      problems.push(`${where}: neither our image nor redis: cannot check it`);
      continue;
    }
    if (ours) {
      for (const variable of service.environment ?? []) {
        if (!known.has(variable)) {
          problems.push(`${where}: sets ${variable}, which the configuration does not read`);
        }
      }
    }
    const command = asList(service.command);
    if (command.length > 0) {
      const executables = ours ? IMAGE_EXECUTABLES : REDIS_EXECUTABLES;
      if (!executables.has(command[0])) {
        problems.push(`${where}: command ${command[0]} is not in the image`);
      } else if (ours && command[0] === 'node') {
        const script = /^dist\/([\w-]+)\.js$/.exec(command[1] ?? '');
        if (!script || !existsSync(join(ROOT, 'src', `${script[1]}.ts`))) {
          problems.push(`${where}: node ${command[1]} is not a file the build produces`);
        }
      } else if (command[0] === 'sh') {
        const line = command.slice(2).join(' ');
        for (const m of line.matchAll(/\bexec\s+([\w-]+)/g)) {
          if (!executables.has(m[1])) problems.push(`${where}: sh runs ${m[1]}, not in the image`);
        }
      }
    }
    const test = asList(service.healthcheck?.test);
    if (test.length > 0) {
      if (!['CMD', 'CMD-SHELL'].includes(test[0])) {
        problems.push(`${where}: healthcheck must start with CMD or CMD-SHELL`);
      } else {
        const executable = test[0] === 'CMD' ? test[1] : String(test[1]).split(/\s+/)[0];
        const executables = ours ? IMAGE_EXECUTABLES : REDIS_EXECUTABLES;
        if (!executables.has(executable)) {
          problems.push(`${where}: healthcheck runs ${executable}, not in the image`);
        }
        for (const m of test.join(' ').matchAll(/https?:\/\/[^/'"\s]+(\/[^'"\s?)]*)/g)) {
          if (!served(m[1])) problems.push(`${where}: healthcheck asks for ${m[1]}, not served`);
        }
      }
    }
  }
  return problems;
}

function main() {
  const given = process.argv.slice(2);
  const files =
    given.length > 0
      ? given
      : readdirSync(ROOT)
          .filter((f) => /^docker-compose.*\.ya?ml$/.test(f))
          .sort((a, b) => a.length - b.length)
          .map((f) => join(ROOT, f));
  const problems = check(files);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    return 1;
  }
  console.log(`Compose files OK: ${files.map((f) => basename(f)).join(', ')}`);
  return 0;
}

if (require.main === module) process.exitCode = main();

module.exports = { check };
