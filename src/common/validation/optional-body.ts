/**
 * Marks a body DTO class whose whole body may be omitted (POST /jobs/retry-failed):
 * no body is then validated as `{}`.
 */
export const OPTIONAL_BODY = Symbol('optionalBody');

export function isOptionalBody(type: unknown): boolean {
  return typeof type === 'function' && OPTIONAL_BODY in type;
}
