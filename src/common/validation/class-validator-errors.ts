import type { ValidationError } from 'class-validator';
import { nameField } from './dto-compiler';
import type { FieldIssue } from './field-error';

/**
 * Flattens class-validator's error tree into one entry per failed rule, each naming
 * its whole path (`jobs.3.payload.to`). Used where class-validator itself runs: query
 * parameters, and the reference the compiled validators are tested against.
 */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      out.push({ field, message: nameField(message, error.property, field), constraint });
    }
    // A loop, not push(...): a huge list of invalid items must not overflow the call.
    if (error.children?.length) {
      for (const child of flattenValidationErrors(error.children, field)) out.push(child);
    }
  }
  return out;
}

/** One issue per field: the first rule class-validator reports for it. */
export function firstPerField<T extends { field: string }>(issues: readonly T[]): T[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.field) && seen.add(issue.field));
}
