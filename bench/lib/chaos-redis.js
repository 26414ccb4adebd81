'use strict';
// A redis-server owned by the chaos run: its own port and data folder, AOF
// persistence (appendonly yes, appendfsync everysec, as `npm start` configures it),
// and restartable on the same port from its AOF.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const Redis = require('ioredis');

class AofRedisServer {
  /** `dir` holds the AOF and the server's log; it must exist. */
  constructor({ port, dir }) {
    this.port = port;
    this.dir = dir;
    this.url = `redis://127.0.0.1:${port}`;
    this.child = undefined;
    this.starts = 0;
    /** Exits nobody asked for (the server crashed): a finding, not a chaos event. */
    this.unexpectedExits = [];
  }

  /** Starts the server (loading the AOF if there is one); resolves once it answers PING. */
  async start(timeoutMs = 15000) {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--logfile',
      join(this.dir, 'redis.log'),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.starts += 1;
    child.expected = false;
    child.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (!child.expected) this.unexpectedExits.push({ code, signal });
        resolve({ code, signal });
      }),
    );
    child.once('error', (error) => this.unexpectedExits.push({ error: error.message }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`redis-server on port ${this.port} exited at start (see ${this.dir})`);
      }
      if (await ping(this.port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} not ready`);
      await sleep(25);
    }
  }

  get running() {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  /**
   * A clean stop: SIGTERM, which redis-server handles as SHUTDOWN (the AOF is
   * flushed and fsynced first). Resolves with the exit code once it is gone.
   */
  async shutdown(timeoutMs = 15000) {
    const child = this.child;
    if (!child || !this.running) return null;
    child.expected = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const result = await child.exited;
    clearTimeout(timer);
    return result;
  }

  /** For the exit path: no waiting, nothing flushed. */
  killSync() {
    if (this.child && this.running) {
      this.child.expected = true;
      this.child.kill('SIGKILL');
    }
  }
}

/** One PING on a fresh connection: true when the server answers (and is not loading). */
async function ping(port) {
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 1000,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

module.exports = { AofRedisServer };
