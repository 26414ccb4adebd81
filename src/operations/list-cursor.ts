import type { ListCursor } from '../queue/job-listing';

/**
 * next_cursor is opaque to clients: the keyset position where a page ended,
 * base64url-encoded JSON. Anything else given as `cursor` is a 400.
 */
export function encodeCursor(cursor: ListCursor): string {
  const parts: (string | number)[] = [cursor.score, cursor.member];
  if (cursor.position !== undefined && cursor.length !== undefined) {
    parts.push(cursor.position, cursor.length);
  }
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(text: string): ListCursor | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return null;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || (parts.length !== 2 && parts.length !== 4)) return null;
  const [score, member, position, length] = parts as unknown[];
  if (
    !Number.isSafeInteger(score) ||
    typeof member !== 'string' ||
    !/^[-0-9A-Z_a-z]{1,32}$/.test(member)
  ) {
    return null;
  }
  const cursor: ListCursor = { score: score as number, member };
  if (parts.length === 4) {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length)) return null;
    if ((position as number) < 0 || (length as number) < 0) return null;
    cursor.position = position as number;
    cursor.length = length as number;
  }
  return cursor;
}
