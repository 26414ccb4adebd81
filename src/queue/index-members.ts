import { createHash } from 'node:crypto';
import { RECIPIENT_BUCKETS } from './job-keys';

/**
 * Job ids as the listing indexes store them: the UUID's 16 bytes in 22 characters
 * of a base64 alphabet laid out in ASCII order, so that the byte order of the
 * compact form is the order of the UUID itself (ties in created time list by
 * job_id). A sorted-set entry costs ~118 bytes with these members against ~134
 * with the 36-character UUID (measured on Redis 7 with jemalloc). The same
 * encoding exists in Lua (lua/includes/compactId.lua) for the rare script that
 * needs it.
 */
const SORTED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const toSorted = new Map([...BASE64URL].map((c, i) => [c, SORTED[i]]));
const fromSorted = new Map([...SORTED].map((c, i) => [c, BASE64URL[i]]));

const translate = (text: string, table: Map<string, string>): string => {
  let out = '';
  for (const c of text) out += table.get(c) ?? '';
  return out;
};

export const COMPACT_ID_LENGTH = 22;
const COMPACT_ID = /^[-0-9A-Z_a-z]{21}[-FVk]$/;

/** A lower-case UUID (8-4-4-4-12 hex) as its 22-character compact form. */
export function compactId(uuid: string): string {
  const bytes = Buffer.from(uuid.replace(/-/g, ''), 'hex');
  return translate(bytes.toString('base64url'), toSorted);
}

/** The UUID of a compact id, or null when `compact` is not one. */
export function expandId(compact: string): string | null {
  if (!COMPACT_ID.test(compact)) return null;
  const hex = Buffer.from(translate(compact, fromSorted), 'base64url').toString('hex');
  if (hex.length !== 32) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface RecipientKey {
  /** Which of the RECIPIENT_BUCKETS lists holds the address's jobs. */
  bucket: number;
  /** Three characters that tell this address's entries from the bucket's others (18 bits). */
  fingerprint: string;
}

/** Where a recipient's jobs are indexed; `address` is compared case-insensitively. */
export function recipientKey(address: string): RecipientKey {
  const digest = createHash('sha1').update(asciiLower(address)).digest();
  const bucket = digest.readUInt16BE(0) & (RECIPIENT_BUCKETS - 1);
  const bits = digest.readUIntBE(2, 3) >>> 6; // 18 bits
  const fingerprint = SORTED[(bits >>> 12) & 63] + SORTED[(bits >>> 6) & 63] + SORTED[bits & 63];
  return { bucket, fingerprint };
}

export const FINGERPRINT_LENGTH = 3;

/** ASCII-only lower case: the same in Lua (string.lower) for every input. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** The address a job is for (its payload's `to`), as the recipient index keys it. */
export function recipientOf(payload: unknown): string | undefined {
  const to = (payload as { to?: unknown } | null)?.to;
  return typeof to === 'string' ? asciiLower(to) : undefined;
}

/**
 * A job's member in the state indexes: its compact id, followed for a job with a
 * recipient by the recipient bucket (2 characters) and fingerprint (3): so the
 * upkeep that finds an expired job in a state index also knows its recipient-index
 * entry. Up to 27 characters cost no more than 22 (the same 32-byte allocation).
 * lua/includes/indexMember.lua builds the same.
 */
export function indexMember(jobId: string, recipient: string | RecipientKey | undefined): string {
  const compact = compactId(jobId);
  if (recipient === undefined) return compact;
  const { bucket, fingerprint } =
    typeof recipient === 'string' ? recipientKey(recipient) : recipient;
  return compact + SORTED[bucket >>> 6] + SORTED[bucket & 63] + fingerprint;
}

export interface ParsedMember {
  jobId: string | null;
  /** The job's entry in its recipient bucket, if it has one. */
  recipient?: { bucket: number; entry: string };
}

export function parseIndexMember(member: string): ParsedMember {
  const compact = member.slice(0, COMPACT_ID_LENGTH);
  const jobId = expandId(compact);
  if (member.length !== COMPACT_ID_LENGTH + 2 + FINGERPRINT_LENGTH) return { jobId };
  const high = SORTED.indexOf(member[COMPACT_ID_LENGTH]);
  const low = SORTED.indexOf(member[COMPACT_ID_LENGTH + 1]);
  const fingerprint = member.slice(COMPACT_ID_LENGTH + 2);
  return { jobId, recipient: { bucket: high * 64 + low, entry: fingerprint + compact } };
}
