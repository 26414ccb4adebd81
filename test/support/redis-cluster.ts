import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import Redis, { Cluster } from 'ioredis';
import { freePort } from './redis-server';
import { waitFor } from './wait';

const run = promisify(execFile);

/** One redis-server of a test cluster. */
export interface ClusterNodeProcess {
  port: number;
  process?: ChildProcess;
}

/**
 * A real Redis Cluster owned by one test: `primaries` primaries with one replica
 * each, on free ports in a temp dir, created with `redis-cli --cluster create`.
 * The shared Redis on 6379 is never touched.
 */
export class TestRedisCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'jobq-cluster-'));
  readonly nodes: ClusterNodeProcess[] = [];

  private constructor(private readonly nodeTimeoutMs: number) {}

  static async start(primaries = 3, nodeTimeoutMs = 1000): Promise<TestRedisCluster> {
    const cluster = new TestRedisCluster(nodeTimeoutMs);
    try {
      for (let i = 0; i < primaries * 2; i++) cluster.nodes.push({ port: await freePort() });
      await Promise.all(cluster.nodes.map((node) => cluster.launch(node)));
      await run('redis-cli', [
        '--cluster',
        'create',
        ...cluster.nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]);
      await cluster.waitUntilHealthy();
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** `host:port,...` for REDIS_CLUSTER_NODES. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  private async launch(node: ClusterNodeProcess): Promise<void> {
    const dir = join(this.dir, String(node.port));
    mkdirSync(dir, { recursive: true });
    node.process = spawn(
      'redis-server',
      [
        '--port',
        String(node.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(this.nodeTimeoutMs),
        // A replica takes over however long it was cut off (the default refuses after
        // 10 node timeouts, which a loaded test machine can exceed).
        '--cluster-replica-validity-factor',
        '0',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: true });
    probe.on('error', () => undefined);
    try {
      await waitFor(async () => (await probe.ping()) === 'PONG', {
        what: `cluster node on ${node.port}`,
      });
    } finally {
      probe.disconnect();
    }
  }

  /** Every live node says the cluster is ok and knows every slot; every replica is in sync. */
  async waitUntilHealthy(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.nodes.filter((n) => n.process)) {
          const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
          if (!/cluster_state:ok/.test(stdout) || !/cluster_slots_ok:16384/.test(stdout)) {
            return false;
          }
          const info = await run('redis-cli', ['-p', String(node.port), 'info', 'replication']);
          if (/role:slave/.test(info.stdout) && !/master_link_status:up/.test(info.stdout)) {
            return false;
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, what: 'the cluster to be healthy' },
    );
  }

  /** The port of the primary that owns `key`'s slot, as that node's peers see it. */
  async primaryPortOf(key: string): Promise<number> {
    const slot = calculateSlot(key);
    const live = this.nodes.find((n) => n.process);
    if (!live) throw new Error('no live node');
    const probe = new Redis(live.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      const slots = await probe.cluster('SLOTS');
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      const primary = range?.[2];
      if (!primary) throw new Error(`no node owns slot ${slot}`);
      return primary[1];
    } finally {
      probe.disconnect();
    }
  }

  /** Prefixes whose hash tags land on `count` different primaries (`{name-0}`, ...). */
  async prefixesOnDifferentPrimaries(name: string, count: number): Promise<string[]> {
    const chosen = new Map<number, string>();
    for (let i = 0; chosen.size < count && i < 1000; i++) {
      const prefix = `{${name}-${i}}`;
      const port = await this.primaryPortOf(prefix);
      if (!chosen.has(port)) chosen.set(port, prefix);
    }
    if (chosen.size < count) throw new Error(`no ${count} prefixes on different primaries`);
    return [...chosen.values()];
  }

  /** SIGKILLs the node on `port` (its replica is then promoted by the cluster). */
  async kill(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    const child = node?.process;
    if (!node || !child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    node.process = undefined;
  }

  /** A cluster client for the test's own checks. */
  client(): Cluster {
    const client = new Cluster(
      this.nodes.filter((n) => n.process).map((n) => ({ host: '127.0.0.1', port: n.port })),
      { redisOptions: { maxRetriesPerRequest: 1 } },
    );
    client.on('error', () => undefined);
    return client;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.port)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
