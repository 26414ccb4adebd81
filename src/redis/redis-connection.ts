import { Logger } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import { addressOf } from '../logging/config-summary';

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

export function createRedisConnection(url: string, name: string, extra: RedisOptions = {}): Redis {
  const client = new Redis(url, { ...connectionOptions(name), ...extra });
  const logger = new Logger('Redis');
  const fields = { connection: name, redis: addressOf(url) };
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
export async function waitUntilReady(client: Redis, timeoutMs: number): Promise<boolean> {
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
 * What the server keeps on disk: 'aof', 'rdb', 'none', or 'unknown' when it cannot
 * be asked (CONFIG disabled on managed services, or Redis unreachable).
 */
export async function describePersistence(
  client: Redis,
): Promise<'aof' | 'rdb' | 'none' | 'unknown'> {
  try {
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
