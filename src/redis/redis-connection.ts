import { Logger } from '@nestjs/common';
import calculateSlot from 'cluster-key-slot';
import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisSettings } from '../config/env';
import { addressOf } from '../logging/config-summary';

/**
 * A connection as the service uses it: one Redis (standalone, or found through
 * Sentinel) or a Redis Cluster. Both speak the same commands and scripts; what
 * differs (keyless commands, WAIT) goes through `queueNode`.
 */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_URL alone, through Sentinel, or a cluster's seeds. */
export type RedisTarget = Pick<
  RedisSettings,
  'url' | 'clusterNodes' | 'sentinels' | 'sentinelMaster' | 'sentinelPassword'
>;

/**
 * Connection options shared by every connection the service opens.
 *
 * Commands fail fast while Redis is unreachable (no offline queue, a command
 * timeout) so the API can answer 503 at once instead of hanging; the worker
 * treats those errors as "wait and retry". ioredis keeps reconnecting on its
 * own, which is what makes API and workers recover without a restart.
 */
export function connectionOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1000),
    // RESP2 keeps replies identical across servers and avoids HELLO on every reconnect.
    protocol: 2,
    // Commands issued in the same tick (concurrent requests) go out in one write.
    enableAutoPipelining: true,
    // ...but ioredis keeps one auto-pipeline in flight per connection: a worker's claim
    // would wait for its previous completion's reply. Its hot path goes out at once.
    autoPipeliningIgnoredCommands: ['claimJobs', 'completeJobs'],
  };
}

/** How often the same connection error is logged again while it persists. */
const ERROR_LOG_INTERVAL_MS = 30_000;

/** Credentials, TLS and database of REDIS_URL, for the modes that do not connect to it directly. */
function urlOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  const options: RedisOptions = {};
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = {};
  const db = Number(parsed.pathname.slice(1));
  if (Number.isInteger(db) && db > 0) options.db = db;
  return options;
}

/** What the log lines name as the server. */
function describeTarget(target: RedisTarget): string {
  if (target.clusterNodes.length > 0) {
    return `cluster ${target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
  if (target.sentinels.length > 0) return `sentinel master ${target.sentinelMaster}`;
  return addressOf(target.url);
}

/**
 * The one place a Redis connection is opened, in the mode the configuration asks
 * for. `extra` overrides the defaults (a blocking connection queues commands while
 * Redis is away and has no command timeout).
 */
function open(target: RedisTarget, name: string, extra: RedisOptions): RedisClient {
  const options = { ...connectionOptions(name), ...extra };
  if (target.clusterNodes.length > 0) {
    const {
      enableOfflineQueue,
      enableAutoPipelining,
      autoPipeliningIgnoredCommands,
      retryStrategy,
      ...nodeOptions
    } = options;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue,
      // Auto-pipelines are per node; every key of a queue is on one node anyway.
      enableAutoPipelining,
      autoPipeliningIgnoredCommands,
      // Writes and reads go to the primary that owns the queue's slot.
      scaleReads: 'master',
      clusterRetryStrategy: retryStrategy,
      // After a primary is lost its slots move to a replica: look again soon and
      // often, so commands find the new primary within a second of the promotion.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      slotsRefreshInterval: 1000,
      slotsRefreshTimeout: 1000,
      redisOptions: { ...nodeOptions, ...urlOptions(target.url) },
    };
    return new Cluster(target.clusterNodes, clusterOptions);
  }
  if (target.sentinels.length > 0) {
    return new Redis({
      ...options,
      ...urlOptions(target.url),
      sentinels: target.sentinels,
      name: target.sentinelMaster,
      sentinelPassword: target.sentinelPassword,
      // Sentinels announce a promotion: drop the old primary's connection at once.
      failoverDetector: true,
    });
  }
  return new Redis(target.url, options);
}

function asTarget(target: string | RedisTarget): RedisTarget {
  return typeof target === 'string'
    ? {
        url: target,
        clusterNodes: [],
        sentinels: [],
        sentinelMaster: '',
        sentinelPassword: undefined,
      }
    : target;
}

export function createRedisConnection(
  target: string | RedisTarget,
  name: string,
  extra: RedisOptions = {},
): RedisClient {
  const where = asTarget(target);
  const client = open(where, name, extra);
  const logger = new Logger('Redis');
  const fields = { connection: name, redis: describeTarget(where) };
  let last = { message: '', at: 0 };
  // The real cause (refused, NOAUTH, WRONGPASS, an untrusted certificate) is only
  // visible here; log it, but not once per reconnect attempt.
  client.on('error', (error: Error) => {
    const now = Date.now();
    if (error.message === last.message && now - last.at < ERROR_LOG_INTERVAL_MS) return;
    last = { message: error.message, at: now };
    logger.warn({ ...fields, error: error.message }, `Connection ${name}: ${error.message}`);
  });
  // Changes of state, not every reconnect attempt: connected, and lost after being connected.
  let connected = false;
  client.on('ready', () => {
    connected = true;
    last = { message: '', at: 0 };
    logger.log(fields, `Connection ${name}: connected`);
  });
  client.on('close', () => {
    if (!connected) return;
    connected = false;
    logger.log(fields, `Connection ${name}: closed`);
  });
  return client;
}

/** Resolves when `client` is ready or `timeoutMs` has passed, whichever comes first. */
export async function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onReady = (): void => finish(true);
    function finish(ready: boolean): void {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    }
    client.once('ready', onReady);
  });
}

/**
 * The connection to the server that holds the queue's keys: `client` itself, or on
 * a cluster the primary that owns the slot of `prefix`'s hash tag. Keyless commands
 * (INFO, TIME, CONFIG, WAIT) go there, so they are about the queue's server and not
 * a random node. WAIT in particular must be sent on the connection that wrote.
 */
export function queueNode(client: RedisClient, prefix: string): Redis {
  if (!(client instanceof Cluster)) return client;
  const owner = client.slots[calculateSlot(prefix)]?.[0];
  const masters = client.nodes('master');
  const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (node) return node;
  if (masters.length === 0) throw new Error("Cluster isn't ready: no primary known");
  return masters[0];
}

/**
 * What the server keeps on disk: 'aof', 'rdb', 'none', or 'unknown' when it cannot
 * be asked (CONFIG disabled on managed services, or Redis unreachable).
 */
export async function describePersistence(
  redis: RedisClient,
  prefix: string,
): Promise<'aof' | 'rdb' | 'none' | 'unknown'> {
  try {
    const client = queueNode(redis, prefix);
    const [, appendonly] = await client.config('GET', 'appendonly');
    if (appendonly === 'yes') return 'aof';
    const [, save] = await client.config('GET', 'save');
    return save && save.trim() !== '' ? 'rdb' : 'none';
  } catch {
    return 'unknown';
  }
}

const UNAVAILABLE_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Command timed out',
  'Reached the max retries per request limit',
  'connect ECONNREFUSED',
  'LOADING',
  'READONLY',
  'MISCONF',
  'read ECONNRESET',
  // A cluster between a primary's loss and its replica's promotion, or not yet connected.
  'CLUSTERDOWN',
  'TRYAGAIN',
  "Cluster isn't ready",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Too many Cluster redirections',
  // Sentinel: no sentinel answers, or none knows a primary yet.
  'All sentinels are unreachable',
];

/** True for errors that mean "Redis cannot be reached right now", as opposed to a bug. */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND'].includes(code)
  ) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.some((m) => error.message.includes(m));
}
