import { registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';
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

/**
 * For optional attributes whose column is NOT NULL: may be left out, but not sent as null
 * (null fails the attribute's own type check → 400). Nullable attributes use @IsOptional().
 */
export function NotNullIfPresent(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

/** RFC 3339 with a time and an offset (`2026-03-01T12:00:00.000Z`, `…+02:00`), as SPEC §1.1 writes them. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

export function IsTimestamp(): PropertyDecorator {
  return (target, property) =>
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: property as string,
      options: { message: `${String(property)} must be an RFC 3339 timestamp such as 2026-03-01T12:00:00.000Z` },
      validator: { validate: isTimestamp },
    });
}
