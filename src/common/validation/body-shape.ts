import type { FieldError } from './field-error';

/** Deepest nesting accepted anywhere in a body (a job needs 3; bulk 4). */
export const MAX_BODY_DEPTH = 32;
/** Longest array accepted anywhere in a body (the bulk limit). */
export const MAX_ARRAY_ITEMS = 1000;

/**
 * Keys that class-transformer and Nest's proto stripping drop without a word
 * (`constructor`, `prototype`, every Object.prototype member): refused instead, so
 * an unknown field is never silently lost.
 */
function isReservedKey(key: string): boolean {
  return key === '__proto__' || key === 'prototype' || key in Object.prototype;
}

/**
 * Checks the shape of a parsed JSON body before any recursive validation sees it:
 * nesting depth, array lengths and reserved keys. Iterative, so no input can
 * exhaust the stack; returns the first problem found, or null.
 */
export function checkBodyShape(body: unknown): FieldError | null {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: body, path: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (value === null || typeof value !== 'object') continue;
    const field = path || 'body';
    if (depth >= MAX_BODY_DEPTH) {
      return { field, message: `${field} nests deeper than ${MAX_BODY_DEPTH} levels` };
    }
    if (Array.isArray(value)) {
      if (value.length > MAX_ARRAY_ITEMS) {
        return { field, message: `${field} must contain no more than ${MAX_ARRAY_ITEMS} elements` };
      }
      value.forEach((item, index) =>
        stack.push({
          value: item,
          path: path ? `${path}.${index}` : String(index),
          depth: depth + 1,
        }),
      );
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (isReservedKey(key))
        return { field: child, message: `property ${child} should not exist` };
      stack.push({ value: (value as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
  }
  return null;
}
