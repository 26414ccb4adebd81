import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks a presented key against the configured ones in constant time: both sides
 * are hashed to the same length and every configured key is compared, so neither
 * the length nor the position of a match shows in the timing.
 */
export class ApiKeyVerifier {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** A stable, non-secret id of the matching key (for rate limits and scoping), or null. */
  verify(presented: string | undefined): string | null {
    if (presented === undefined || presented === '') return null;
    const candidate = digest(presented);
    let match: Buffer | null = null;
    for (const known of this.digests) {
      if (timingSafeEqual(known, candidate)) match = known;
    }
    return match ? `key-${match.toString('hex').slice(0, 16)}` : null;
  }
}

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}
