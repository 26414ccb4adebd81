import type { RedisClient } from './redis-connection';

/** How long the Redis server process has been up (Infinity when INFO does not say). */
export async function serverUptimeMs(redis: RedisClient): Promise<number> {
  const info = await redis.info('server');
  return Number(/^uptime_in_seconds:(\d+)/m.exec(info)?.[1] ?? Infinity) * 1000;
}
