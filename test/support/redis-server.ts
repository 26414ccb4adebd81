import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from './redis';
import { waitFor } from './wait';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RedisServerOptions {
  /** Extra `--name value` arguments, e.g. { appendonly: 'yes', requirepass: 'x' }. */
  config?: Record<string, string>;
}

/**
 * A redis-server owned by one test (its own port and data folder), for tests that
 * stop, kill or restart Redis. The shared Redis on 6379 is never touched.
 */
export class TestRedisServer {
  private process?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'jobq-redis-'));

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), options);
    await server.start();
    return server;
  }

  get url(): string {
    const pass = this.options.config?.requirepass;
    return pass
      ? `redis://:${encodeURIComponent(pass)}@127.0.0.1:${this.port}`
      : `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Already running: a second redis-server could not bind, and this one would leak.
    if (this.process && this.process.exitCode === null) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
    ];
    for (const [name, value] of Object.entries({ appendonly: 'no', ...this.options.config })) {
      args.push(`--${name}`, value);
    }
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    const probe = connect(this.url);
    try {
      await waitFor(async () => (await probe.ping()) === 'PONG', {
        what: `redis-server on ${this.port}`,
      });
    } finally {
      probe.disconnect();
    }
  }

  /** Stops the server: `SHUTDOWN` (AOF is flushed) or SIGKILL (nothing is). */
  async stop(how: 'shutdown' | 'kill' = 'shutdown'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (how === 'kill') {
      child.kill('SIGKILL');
    } else {
      child.kill('SIGTERM'); // redis-server treats SIGTERM as SHUTDOWN
    }
    await exited;
    this.process = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop('kill');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
