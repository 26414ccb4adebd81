const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SearchQuery =
  | { kind: 'none' }
  | { kind: 'job_id'; id: string }
  | { kind: 'recipient'; to: string }
  | { kind: 'invalid'; reason: string };

/**
 * What the search box holds: a job id (GET /jobs/{id}), a recipient address
 * (GET /jobs?to=), or nothing (the plain listing).
 */
export function parseSearch(input: string): SearchQuery {
  const text = input.trim();
  if (text === '') return { kind: 'none' };
  if (UUID.test(text)) return { kind: 'job_id', id: text.toLowerCase() };
  if (/^[^\s@]+@[^\s@]+$/.test(text) && text.length <= 254) return { kind: 'recipient', to: text };
  return { kind: 'invalid', reason: 'Search by a job id (UUID) or a recipient address' };
}
