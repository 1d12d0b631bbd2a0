import { IsIn, IsString, registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';
import { isUuid } from './ids.js';

export const METADATA_MAX_BYTES = 16 * 1024;

/** A JSON object of at most 16 KiB (SPEC §3.1). */
export function IsMetadata(options?: ValidationOptions): PropertyDecorator {
  return (target, property) => {
    registerDecorator({
      name: 'isObject',
      target: target.constructor,
      propertyName: property as string,
      options: { message: `${String(property)} must be a JSON object`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value),
      },
    });
    registerDecorator({
      name: 'metadataSize',
      target: target.constructor,
      propertyName: property as string,
      options: { message: `${String(property)} must be at most 16 KiB of JSON` },
      validator: { validate: (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? {})) <= METADATA_MAX_BYTES },
    });
  };
}

/** Natural keys live in URLs next to ids: URL-safe, and never shaped like a UUID (SPEC §1.1). */
export const NATURAL_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

export function IsNaturalKey(options?: ValidationOptions): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isNaturalKey',
      target: target.constructor,
      propertyName: property as string,
      options: {
        message: `${String(property)} must be 1-255 letters, digits, '.', '-' or '_', start with a letter or digit, and not look like a UUID`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && NATURAL_KEY.test(value) && !isUuid(value) },
    });
}

/** One of a list of strings: anything but a string is a wrong type (400), another string breaks the rule (422). */
export function IsOneOf(values: readonly string[], message: string): PropertyDecorator {
  return (target, property) => {
    IsIn(values, { message })(target, property);
    IsString()(target, property);
  };
}

/**
 * For optional attributes whose column is NOT NULL: may be left out, but not sent as null
 * (null fails the attribute's own type check → 400). Nullable attributes use @IsOptional().
 */
export function NotNullIfPresent(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/** RFC 3339 `date-time` (§5.6): a full date, `T`, a full time with seconds, and `Z` or an offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/i;

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/**
 * An RFC 3339 timestamp naming a real instant, strictly: the date exists (no 30 February), the
 * time is within the day (no 24:00:00) and the offset within ±23:59. `Date.parse` would shift
 * such values into the next day or month instead of refusing them. Leap seconds (`:60`) are
 * refused, since the stored timestamp cannot hold them; year 0000 too (PostgreSQL has none).
 */
export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second, offsetHour = 0, offsetMinute = 0] = match.slice(1).map((part) => Number(part ?? 0));
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59
  );
}

/** A malformed timestamp is a 400 (`<ATTRIBUTE>_INVALID`), like a value of the wrong type. */
export function IsTimestamp(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: property as string,
      options: { message: `${String(property)} must be an RFC 3339 timestamp of a real date and time, such as 2026-03-01T12:00:00.000Z` },
      validator: { validate: isTimestamp },
    });
}
