import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './redis-server';
import { waitFor } from './wait';

interface Member {
  port: number;
  args: string[];
  process?: ChildProcess;
}

export const SENTINEL_MASTER = 'mymaster';

/**
 * A Sentinel deployment owned by one test: a primary, a replica and three
 * sentinels (`redis-server <conf> --sentinel`) on free ports in a temp dir. The
 * sentinels call a primary down after `downAfterMs` without a reply.
 */
export class TestSentinelDeployment {
  readonly dir = mkdtempSync(join(tmpdir(), 'jobq-sentinel-'));
  readonly servers: Member[] = [];
  readonly sentinels: Member[] = [];

  static async start(downAfterMs = 1000): Promise<TestSentinelDeployment> {
    const d = new TestSentinelDeployment();
    try {
      const [primary, replica] = [await freePort(), await freePort()];
      d.servers.push(
        d.server(primary, []),
        d.server(replica, ['--replicaof', '127.0.0.1', `${primary}`]),
      );
      for (const member of d.servers) await d.launch(member);
      for (let i = 0; i < 3; i++) {
        const port = await freePort();
        const conf = join(d.dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${d.dir}`,
            `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primary} 2`,
            `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${downAfterMs}`,
            `sentinel failover-timeout ${SENTINEL_MASTER} 3000`,
            `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
            '',
          ].join('\n'),
        );
        d.sentinels.push({ port, args: [conf, '--sentinel'] });
      }
      for (const member of d.sentinels) await d.launch(member);
      await d.waitUntilSettled();
    } catch (error) {
      await d.destroy();
      throw error;
    }
    return d;
  }

  private server(port: number, extra: string[]): Member {
    const dir = join(this.dir, String(port));
    mkdirSync(dir, { recursive: true });
    const args = ['--port', `${port}`, '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
    return { port, args: [...args, '--appendonly', 'no', ...extra] };
  }

  private async launch(member: Member): Promise<void> {
    member.process = spawn('redis-server', member.args, { stdio: 'ignore' });
    const probe = new Redis(member.port, '127.0.0.1', {
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    probe.on('error', () => undefined);
    try {
      await waitFor(async () => (await probe.ping()) === 'PONG', {
        what: `redis-server on ${member.port}`,
      });
    } finally {
      probe.disconnect();
    }
  }

  /** `host:port,...` for REDIS_SENTINELS. */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  private async ask<T>(port: number, ...args: string[]): Promise<T> {
    const probe = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    try {
      return (await probe.call(...(args as [string, ...string[]]))) as T;
    } finally {
      probe.disconnect();
    }
  }

  /** The primary's port, as the first sentinel that answers sees it. */
  async primaryPort(): Promise<number> {
    for (const s of this.sentinels) {
      try {
        const [, port] = await this.ask<[string, string]>(
          s.port,
          'SENTINEL',
          'get-master-addr-by-name',
          SENTINEL_MASTER,
        );
        return Number(port);
      } catch {
        // this sentinel is not answering: ask the next
      }
    }
    throw new Error('no sentinel answers');
  }

  /** Every sentinel knows the other two and one replica in sync; the replica's link is up. */
  async waitUntilSettled(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const s of this.sentinels) {
          const flat = await this.ask<string[]>(s.port, 'SENTINEL', 'master', SENTINEL_MASTER);
          const f = new Map<string, string>();
          for (let i = 0; i < flat.length; i += 2) f.set(flat[i], flat[i + 1]);
          if (f.get('num-other-sentinels') !== '2' || f.get('num-slaves') === '0') return false;
          if (!/^master$/.test(f.get('flags') ?? '')) return false;
        }
        const primary = await this.primaryPort();
        const replicas = this.servers.filter((s) => s.process && s.port !== primary);
        for (const r of replicas) {
          const info = await this.ask<string>(r.port, 'INFO', 'replication');
          if (!/master_link_status:up/.test(info)) return false;
        }
        return replicas.length > 0;
      },
      { timeoutMs, intervalMs: 100, what: 'the sentinels to know each other and the replica' },
    );
  }

  async kill(port: number): Promise<void> {
    const member = this.servers.find((s) => s.port === port);
    const child = member?.process;
    if (!member || !child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    member.process = undefined;
  }

  /** Starts a killed server again, as it was configured (the sentinels then make it a replica). */
  async restart(port: number): Promise<void> {
    const member = this.servers.find((s) => s.port === port);
    if (!member) throw new Error(`no server on ${port}`);
    await this.launch(member);
  }

  async destroy(): Promise<void> {
    for (const member of [...this.sentinels, ...this.servers]) {
      const child = member.process;
      if (!child || child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
