import type { RedisClient } from '../redis/redis-connection';
import { JobScripts } from './job-scripts';

/** A place in a listing index: created ms and member (compact id first). */
export interface IndexPosition {
  score: number;
  member: string;
}

/** Descending listing order: true when a comes before b (newer, or same time and higher id). */
export function newerThan(a: IndexPosition, b: IndexPosition): boolean {
  return a.score > b.score || (a.score === b.score && a.member > b.member);
}

export const byListingOrder = (a: IndexPosition, b: IndexPosition): number =>
  newerThan(a, b) ? -1 : newerThan(b, a) ? 1 : 0;

export interface IndexRead {
  /** Entries strictly after the cursor, in the read's order. */
  entries: IndexPosition[];
  /** True when the index may hold more entries past the last one. */
  more: boolean;
}

/**
 * Reads the next `count` entries of a listing index after `cursor` in one atomic
 * step (lua/indexPage.lua), in listing order (`desc`) or oldest first up to
 * `maxScore` (`asc`).
 */
export async function readIndexes(
  redis: RedisClient,
  key: string,
  count: number,
  cursor: IndexPosition | undefined,
  order: { direction: 'desc' } | { direction: 'asc'; maxScore: number },
): Promise<IndexRead> {
  const asc = order.direction === 'asc';
  const reply = (await JobScripts.on(redis).run(
    'indexPage',
    [key],
    [
      count,
      cursor ? cursor.score : '',
      cursor ? cursor.member : '',
      order.direction,
      asc ? order.maxScore : '',
    ],
  )) as (string | number)[];
  const mode = Number(reply[0]);
  const n = Number(reply[1]);
  const ties: IndexPosition[] = [];
  const rest: IndexPosition[] = [];
  let read = 0; // entries of the page proper (not the cursor's ties)
  let pastBound = false;
  for (let j = 0, i = 2; j < n; j++, i += 2) {
    const entry = { member: String(reply[i]), score: Number(reply[i + 1]) };
    if (mode === 1 && cursor && entry.score === cursor.score) {
      const past = asc ? entry.member > cursor.member : entry.member < cursor.member;
      if (past) ties.push(entry);
      continue;
    }
    read += 1;
    if (asc && entry.score > (order as { maxScore: number }).maxScore) pastBound = true;
    else rest.push(entry);
  }
  // Ties come back ascending; in listing order they run the other way.
  if (!asc) ties.reverse();
  return { entries: [...ties, ...rest], more: read >= count && !pastBound };
}
