// Shared by the examples: starts the built API and workers as child processes
// against one Redis under a key prefix of their own, talks HTTP to them, and
// removes both the processes and the keys at the end (also on Ctrl-C or error).
'use strict';

const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync } = require('node:fs');
const { createServer } = require('node:net');
const { join, resolve } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const timers = require('node:timers');
const Redis = require('ioredis');

const ROOT = resolve(__dirname, '..');
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** Environment variables the examples set on every child, so a stray `.env` cannot change them. */
const QUIET_DEFAULTS = {
  LOG_LEVEL: 'log',
  // Several workers on this host: none serves metrics (each would need its own port).
  METRICS_PORT: '0',
  NO_COLOR: '1',
  EMAIL_TRANSPORT: 'simulated',
  EMAIL_SIMULATED_FAILURE_RATE: '0',
  EMAIL_SIMULATED_DURATION_MS: '0',
  JOB_MAX_RETRIES: '3',
  JOB_BACKOFF_BASE_MS: '1000',
  JOB_LEASE_MS: '30000',
  WORKER_SHUTDOWN_TIMEOUT_MS: '3000',
  JOB_RETENTION_COMPLETED_S: '3600',
  JOB_RETENTION_FAILED_S: '3600',
};

function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Number of seconds with 3 decimals, signed: "+1.234 s". */
function offset(seconds) {
  return `${seconds < 0 ? '-' : '+'}${Math.abs(seconds).toFixed(3)} s`;
}

function shortId(id) {
  return String(id).slice(0, 8);
}

function pad(value, width) {
  return String(value).padEnd(width);
}

function padLeft(value, width) {
  return String(value).padStart(width);
}

/**
 * One example run: its prefix, its Redis connection, the processes it started.
 * `close()` stops the processes and deletes every key under the prefix.
 */
class Session {
  constructor(name) {
    this.name = name;
    this.prefix = `example:${name}:${randomBytes(4).toString('hex')}`;
    this.redisUrl = REDIS_URL;
    this.children = [];
    this.closed = false;
    this.redis = new Redis(REDIS_URL, {
      maxRetriesPerRequest: 1,
      connectTimeout: 3000,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    this.redis.on('error', (error) => (this.connectionError = error));
  }

  async connect() {
    try {
      await this.redis.connect();
      await this.redis.ping();
    } catch (error) {
      const reason = (this.connectionError ?? error).message;
      throw new Error(
        `No Redis answers at ${redactUrl(REDIS_URL)} (${reason}). Start one, or set REDIS_URL.`,
        { cause: error },
      );
    }
  }

  /** Environment for a child process of this session. */
  env(extra) {
    return {
      ...process.env,
      ...QUIET_DEFAULTS,
      REDIS_URL,
      QUEUE_PREFIX: this.prefix,
      ...extra,
    };
  }

  spawnNode(script, label, env) {
    const child = spawn(process.execPath, [join(ROOT, script)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = { child, label, output: '', exited: false, exitCode: null };
    const collect = (chunk) => {
      // eslint-disable-next-line no-control-regex
      proc.output += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    proc.exitPromise = new Promise((done) =>
      child.on('exit', (code, signal) => {
        proc.exited = true;
        proc.exitCode = code ?? signal;
        done();
      }),
    );
    this.children.push(proc);
    return proc;
  }

  /** `node dist/main.js` with no worker inside, on a free port; resolves once /health is 200. */
  async startApi(extra = {}) {
    const port = await freePort();
    const proc = this.spawnNode(
      'dist/main.js',
      'api',
      this.env({ WORKER_ENABLED: 'false', PORT: String(port), HOST: '127.0.0.1', ...extra }),
    );
    proc.baseUrl = `http://127.0.0.1:${port}`;
    await waitUntil(
      async () => {
        if (proc.exited) throw new Error(`the API exited (${proc.exitCode}):\n${proc.output}`);
        try {
          return (await globalThis.fetch(`${proc.baseUrl}/health`)).status === 200;
        } catch {
          return false;
        }
      },
      15_000,
      'the API to answer /health',
    );
    this.api = proc;
    return proc;
  }

  /** `node dist/worker.js`; resolves once it logged "Worker <id> started", with that id. */
  async startWorker(label, extra = {}) {
    const proc = this.spawnNode('dist/worker.js', label, this.env(extra));
    await waitUntil(
      async () => {
        if (proc.exited) throw new Error(`${label} exited (${proc.exitCode}):\n${proc.output}`);
        const match = /Worker (\S+) started/.exec(proc.output);
        if (match) proc.workerId = match[1];
        return Boolean(match);
      },
      15_000,
      `${label} to start`,
    );
    return proc;
  }

  async post(path, body) {
    const response = await globalThis.fetch(`${this.api.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await response.json();
    if (response.status !== 201) {
      throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    }
    return json;
  }

  async status(jobId) {
    const response = await globalThis.fetch(`${this.api.baseUrl}/jobs/status/${jobId}`);
    const json = await response.json();
    if (response.status !== 200) {
      throw new Error(
        `GET /jobs/status/${jobId} answered ${response.status}: ${JSON.stringify(json)}`,
      );
    }
    return json;
  }

  /** SIGTERM (the service drains and exits), SIGKILL after `graceMs`. */
  async stopProcess(proc, graceMs = 5000) {
    if (proc.exited) return;
    proc.child.kill('SIGTERM');
    const timer = timers.setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
    await proc.exitPromise;
    timers.clearTimeout(timer);
  }

  /** Stops every process, then deletes every key under the prefix. Safe to call twice. */
  async close() {
    if (this.closed) return null;
    this.closed = true;
    await Promise.all(this.children.map((proc) => this.stopProcess(proc)));
    let deleted = null;
    if (this.redis.status === 'ready') {
      deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(
          cursor,
          'MATCH',
          `${this.prefix}:*`,
          'COUNT',
          1000,
        );
        if (keys.length > 0) deleted += await this.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    this.redis.disconnect();
    return deleted;
  }
}

async function waitUntil(probe, timeoutMs, what, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Runs one example: `body(session)` does the demonstration and returns true when
 * what it shows is what the queue promises. Processes and keys are removed at the
 * end, also on an error or Ctrl-C. Exit code: 0 shown as expected, 1 otherwise.
 */
function runExample(name, title, body) {
  for (const file of ['dist/main.js', 'dist/worker.js']) {
    if (!existsSync(join(ROOT, file))) {
      console.error(
        `${file} not found: build first (npm run build), or use npm run example:${name}.`,
      );
      process.exit(1);
    }
  }
  const session = new Session(name);
  let interrupted = false;
  const onSignal = (signal) => {
    if (interrupted) return;
    interrupted = true;
    console.log(`\n${signal} received: stopping processes and deleting keys...`);
    session.close().then(
      () => process.exit(130),
      () => process.exit(130),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  console.log(title);
  console.log(`Redis ${redactUrl(REDIS_URL)}, key prefix ${session.prefix}\n`);

  (async () => {
    let ok = false;
    try {
      await session.connect();
      ok = await body(session);
    } catch (error) {
      if (!interrupted) console.error(`\nExample failed: ${error.message}`);
    }
    if (interrupted) return;
    const deleted = await session.close().catch((error) => {
      console.error(`Cleanup failed: ${error.message}`);
      return null;
    });
    console.log(
      deleted === null
        ? '\nCleaned up: processes stopped.'
        : `\nCleaned up: processes stopped, ${deleted} key(s) matching ${session.prefix}:* deleted.`,
    );
    process.exit(ok ? 0 : 1);
  })();
}

module.exports = {
  ROOT,
  REDIS_URL,
  Session,
  runExample,
  waitUntil,
  sleep,
  offset,
  shortId,
  pad,
  padLeft,
};
