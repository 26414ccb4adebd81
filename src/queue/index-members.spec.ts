import { randomUUID } from 'node:crypto';
import { compactId, expandId, indexMember, parseIndexMember, recipientKey } from './index-members';
import { RECIPIENT_BUCKETS } from './job-keys';

describe('compact ids', () => {
  it('round-trips UUIDs through 22 characters', () => {
    for (let i = 0; i < 1000; i++) {
      const id = randomUUID();
      const compact = compactId(id);
      expect(compact).toHaveLength(22);
      expect(expandId(compact)).toBe(id);
    }
    expect(compactId('00000000-0000-0000-0000-000000000000')).toBe('-'.repeat(22));
    expect(compactId('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe(`${'z'.repeat(21)}k`);
  });

  it('sorts in the order of the UUIDs (byte order, as Redis compares members)', () => {
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    const byUuid = [...ids].sort();
    const byCompact = [...ids].sort((a, b) => {
      const [x, y] = [Buffer.from(compactId(a)), Buffer.from(compactId(b))];
      return Buffer.compare(x, y);
    });
    expect(byCompact).toEqual(byUuid);
  });

  it('refuses what is not a compact id', () => {
    for (const bad of ['', 'abc', '!'.repeat(22), `${'-'.repeat(21)}1`, 'a'.repeat(23)]) {
      expect(expandId(bad)).toBeNull();
    }
  });

  it('indexes an address case-insensitively in one of the buckets', () => {
    const a = recipientKey('Alice@Example.com');
    expect(recipientKey('alice@example.com')).toEqual(a);
    expect(a.bucket).toBeGreaterThanOrEqual(0);
    expect(a.bucket).toBeLessThan(RECIPIENT_BUCKETS);
    expect(a.fingerprint).toMatch(/^[-0-9A-Z_a-z]{3}$/);
    expect(recipientKey('bob@example.com')).not.toEqual(a);
  });
});

describe('index members', () => {
  it('carry the recipient entry of jobs that have one', () => {
    const id = randomUUID();
    expect(indexMember(id, undefined)).toBe(compactId(id));
    expect(parseIndexMember(compactId(id))).toEqual({ jobId: id });
    const member = indexMember(id, 'Alice@Example.com');
    expect(member).toHaveLength(27);
    const { bucket, fingerprint } = recipientKey('alice@example.com');
    expect(parseIndexMember(member)).toEqual({
      jobId: id,
      recipient: { bucket, entry: fingerprint + compactId(id) },
    });
  });
});
