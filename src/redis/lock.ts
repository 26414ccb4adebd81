import type { RedisClient } from './redis-connection';

/**
 * A short lease on `key` for `owner`: true when `owner` holds it (newly taken, or
 * already its own and extended). For upkeep that one process at a time should do;
 * two holders at a moment would only repeat idempotent work.
 */
export async function tryLock(
  redis: RedisClient,
  key: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  if ((await redis.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
  if ((await redis.get(key)) !== owner) return false;
  await redis.pexpire(key, ttlMs);
  return true;
}
