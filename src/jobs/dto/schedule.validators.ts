import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';

/** How far ahead a job may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

/** RFC 3339 date-time with an explicit offset: 2026-12-01T09:00:00Z, 2026-12-01T10:00:00.5+01:00. */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Epoch ms of an RFC 3339 date-time with an offset, or null when `value` is not
 * one. Out-of-range fields (February 30th, hour 24, offset +25:00) are refused
 * rather than rolled over as Date.parse would.
 */
export function parseRfc3339(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (m[8] && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  const ms = Date.parse(value.toUpperCase());
  return Number.isFinite(ms) ? ms : null;
}

/** A date-time as parseRfc3339 takes it. */
export function IsRfc3339WithOffset(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRfc3339WithOffset',
      validator: {
        validate: (value) => parseRfc3339(value) !== null,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T09:00:00Z or 2026-12-01T10:00:00+01:00`,
      },
    },
    options,
  );
}

/** A date-time no further ahead than MAX_SCHEDULE_AHEAD_MS (a time in the past means now). */
export function IsNotTooFarAhead(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotTooFarAhead',
      validator: {
        validate: (value) => {
          const ms = parseRfc3339(value);
          return ms === null || ms - Date.now() <= MAX_SCHEDULE_AHEAD_MS;
        },
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be at most 365 days ahead`,
      },
    },
    options,
  );
}

/** The property may not be given together with `other`. */
export function IsNotGivenWith(other: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotGivenWith',
      constraints: [other],
      validator: {
        validate: (_value, args?: ValidationArguments) =>
          (args?.object as Record<string, unknown> | undefined)?.[other] === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must not be given together with ${other}: give one of run_at and delay_ms`,
      },
    },
    options,
  );
}
