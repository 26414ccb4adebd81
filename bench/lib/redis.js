'use strict';
// A redis-server owned by the benchmark (free port, temp dir, no persistence), and INFO readers.
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startRedisServer() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'jobq-bench-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: null, protocol: 2 });
  client.on('error', () => undefined); // refused until the server listens; ioredis retries
  await client.ping();
  return {
    url,
    port,
    client,
    async stop() {
      client.disconnect();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function infoField(info, name) {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m ? m[1].trim() : undefined;
}

/** Redis CPU seconds (user + sys) so far. */
async function redisCpuSeconds(client) {
  const info = await client.info('cpu');
  return Number(infoField(info, 'used_cpu_user')) + Number(infoField(info, 'used_cpu_sys'));
}

async function usedMemory(client) {
  return Number(infoField(await client.info('memory'), 'used_memory'));
}

async function commandsProcessed(client) {
  return Number(infoField(await client.info('stats'), 'total_commands_processed'));
}

async function redisVersion(client) {
  return infoField(await client.info('server'), 'redis_version');
}

module.exports = {
  freePort,
  startRedisServer,
  redisCpuSeconds,
  usedMemory,
  commandsProcessed,
  redisVersion,
};
