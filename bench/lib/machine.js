'use strict';
// What a published figure depends on: the machine and the versions that ran.
const { execSync } = require('node:child_process');
const os = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');

function versions() {
  const pkg = (name) => require(join(ROOT, 'node_modules', name, 'package.json')).version;
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu =
      execSync("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", { encoding: 'utf8' }).trim() ||
      cpu;
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    node: process.version,
    bullmq: pkg('bullmq'),
    ioredis: pkg('ioredis'),
    nest: pkg('@nestjs/core'),
    service: require(join(ROOT, 'package.json')).version,
  };
}

module.exports = { versions };
