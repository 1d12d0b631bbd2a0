import type { PipeTransform } from '@nestjs/common';
import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import { attributeCode, attributePointer, DomainError, Errors, relationshipPointer } from './errors.js';
import { describeJson, isPlainObject, onlyMembers } from './json-members.js';

export interface RelationshipRule {
  type: string;
  required?: boolean;
}

export interface ResourceBodyRules<T> {
  type: string;
  /** class-validator DTO listing exactly the writable attributes. */
  attributes: new () => T;
  relationships?: Record<string, RelationshipRule>;
  /**
   * `create` (the default) refuses a client-generated `data.id` with 403, as JSON:API asks of a
   * server that does not support them; `update` accepts an id, which must name the record
   * (`assertSameId`).
   */
  purpose?: 'create' | 'update';
}

export interface ResourceBody<T> {
  id?: string;
  attributes: T;
  /** Which attributes the client sent (a PATCH changes only these). */
  sent: Set<keyof T & string>;
  relationships: Record<string, string | null>;
}

/** Constraints that fail on the value's JSON type or syntax (400), rather than on a rule (422). */
const MALFORMED_CONSTRAINTS = new Set(['isString', 'isBoolean', 'isInt', 'isNumber', 'isObject', 'isArray', 'isTimestamp']);
const TYPE_CONSTRAINTS = new Set(['isString', 'isBoolean', 'isInt', 'isNumber', 'isObject', 'isArray']);

/**
 * The JSON type a DTO property's declared TypeScript type expects (emitDecoratorMetadata), when
 * it names one; `Object` (records, type aliases) says nothing and is left to the validators.
 */
const JSON_TYPES = new Map<unknown, { test: (value: unknown) => boolean; name: string }>([
  [String, { test: (value) => typeof value === 'string', name: 'a string' }],
  [Number, { test: (value) => typeof value === 'number', name: 'a number' }],
  [Boolean, { test: (value) => typeof value === 'boolean', name: 'true or false' }],
  [Array, { test: Array.isArray, name: 'a list' }],
]);

function firstViolation(errors: ValidationError[]): DomainError {
  const error = errors[0];
  const constraints = error.constraints ?? {};
  const names = Object.keys(constraints);
  if (names.includes('whitelistValidation')) {
    return Errors.badRequest('ATTRIBUTE_UNPERMITTED', `${error.property} is not a writable attribute`, attributePointer(error.property));
  }
  if (error.value === undefined) {
    return Errors.unprocessable(attributeCode(error.property, 'MISSING'), `${error.property} is required`, attributePointer(error.property));
  }
  // The value's type is the first thing wrong with it: say so, not what a rule for well-typed values says.
  const typeError = names.find((name) => TYPE_CONSTRAINTS.has(name));
  if (typeError) {
    const detail = `${constraints[typeError]}, not ${describeJson(error.value)}`;
    return Errors.badRequest(attributeCode(error.property, 'INVALID'), detail, attributePointer(error.property));
  }
  const status = names.some((name) => MALFORMED_CONSTRAINTS.has(name)) ? 400 : 422;
  const detail = Object.values(constraints)[0] ?? `${error.property} is invalid`;
  return new DomainError(status, attributeCode(error.property, 'INVALID'), detail, attributePointer(error.property));
}

/**
 * Reads a JSON:API resource document (SPEC §1.2): the type must match, only the DTO's
 * attributes and the listed relationships may appear (anything else is a 400 naming it), and
 * attribute values are validated (wrong JSON type → 400, broken rule → 422).
 */
export class ResourceBodyPipe<T extends object> implements PipeTransform<unknown, Promise<ResourceBody<T>>> {
  /** The writable attributes: the DTO's decorated properties, inherited ones included. */
  private readonly writable: Set<string>;

  constructor(readonly rules: ResourceBodyRules<T>) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(rules.attributes, '', true, false);
    this.writable = new Set(metadata.map((entry) => entry.propertyName));
  }

  async transform(body: unknown): Promise<ResourceBody<T>> {
    if (!isPlainObject(body) || !isPlainObject(body.data)) {
      throw Errors.badRequest('DATA_INVALID', 'The request body must be a JSON:API document with a data object', { pointer: '/data' });
    }
    onlyMembers(body, ['data'], '');
    const { data } = body;
    onlyMembers(data, ['type', 'id', 'attributes', 'relationships'], '/data');
    if (data.type !== this.rules.type) {
      throw Errors.badRequest('TYPE_INVALID', `data.type must be "${this.rules.type}"`, { pointer: '/data/type' });
    }
    if (data.id !== undefined && (this.rules.purpose ?? 'create') === 'create') throw clientGeneratedId('/data/id');
    if (data.id !== undefined && typeof data.id !== 'string') {
      throw Errors.badRequest('ID_INVALID', 'data.id must be a string', { pointer: '/data/id' });
    }
    const raw = data.attributes ?? {};
    if (!isPlainObject(raw)) {
      throw Errors.badRequest('ATTRIBUTES_INVALID', 'data.attributes must be an object', { pointer: '/data/attributes' });
    }
    const attributes = this.readAttributes(raw);
    const errors = await validate(attributes, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
    if (errors.length > 0) throw firstViolation(errors);
    return {
      id: data.id as string | undefined,
      attributes,
      sent: new Set(Object.keys(raw) as (keyof T & string)[]),
      relationships: this.readRelationships(data.relationships),
    };
  }

  /**
   * The DTO with the sent values as they are. Checked by name first: keys such as `constructor`
   * or `__proto__` escape class-validator's whitelist. Values are copied, never transformed, so
   * metadata keeps every key at any depth (`constructor`, `toString`, `__proto__` …) verbatim.
   */
  private readAttributes(raw: Record<string, unknown>): T {
    const attributes = new this.rules.attributes();
    for (const [key, value] of Object.entries(raw)) {
      if (!this.writable.has(key)) throw Errors.badRequest('ATTRIBUTE_UNPERMITTED', `${key} is not a writable attribute`, attributePointer(key));
      const expected = JSON_TYPES.get(Reflect.getMetadata('design:type', this.rules.attributes.prototype, key));
      if (value !== null && expected && !expected.test(value)) {
        throw Errors.badRequest(attributeCode(key, 'INVALID'), `${key} must be ${expected.name}, not ${describeJson(value)}`, attributePointer(key));
      }
      (attributes as Record<string, unknown>)[key] = value;
    }
    return attributes;
  }

  private readRelationships(raw: unknown): Record<string, string | null> {
    const rules = this.rules.relationships ?? {};
    const result: Record<string, string | null> = {};
    if (raw !== undefined && !isPlainObject(raw)) {
      throw Errors.badRequest('RELATIONSHIPS_INVALID', 'data.relationships must be an object', { pointer: '/data/relationships' });
    }
    for (const [name, rule] of Object.entries(rules)) {
      if (rule.required && !(isPlainObject(raw) && Object.hasOwn(raw, name))) {
        throw Errors.unprocessable(attributeCode(name, 'MISSING'), `${name} is required`, relationshipPointer(name));
      }
    }
    for (const [name, value] of Object.entries(raw ?? {})) {
      const rule = Object.hasOwn(rules, name) ? rules[name] : undefined;
      if (!rule) {
        throw Errors.badRequest('RELATIONSHIP_UNPERMITTED', `${name} is not a writable relationship`, relationshipPointer(name));
      }
      const invalid = () =>
        Errors.badRequest(attributeCode(name, 'INVALID'), `${name} must be {"data":{"type":"${rule.type}","id":…}}`, relationshipPointer(name));
      if (!isPlainObject(value)) throw invalid();
      onlyMembers(value, ['data'], `/data/relationships/${name}`);
      const linkage = value.data;
      if (linkage === null && !rule.required) {
        result[name] = null;
        continue;
      }
      if (!isPlainObject(linkage) || linkage.type !== rule.type || typeof linkage.id !== 'string' || linkage.id === '') throw invalid();
      onlyMembers(linkage, ['type', 'id'], `/data/relationships/${name}/data`);
      result[name] = linkage.id;
    }
    return result;
  }
}

/** JSON:API: a server that does not support client-generated ids answers their creates with 403. */
export function clientGeneratedId(pointer: string): DomainError {
  return new DomainError(403, 'ID_UNPERMITTED', 'Client-generated ids are not supported: leave id out, the server assigns one', { pointer });
}

/** On update, a data.id that names another record is a 400 (JSON:API). */
export function assertSameId(body: { id?: string }, id: string): void {
  if (body.id !== undefined && body.id !== id) {
    throw Errors.badRequest('ID_INVALID', 'data.id does not match the resource being updated', { pointer: '/data/id' });
  }
}

/** For endpoints whose body may be omitted entirely (POST /tokens). */
export class OptionalBody<T extends object> implements PipeTransform<unknown, Promise<ResourceBody<T>>> {
  constructor(readonly inner: ResourceBodyPipe<T>) {}

  transform(body: unknown): Promise<ResourceBody<T>> {
    const empty = body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);
    if (empty) return Promise.resolve({ attributes: {} as T, sent: new Set(), relationships: {} });
    return this.inner.transform(body);
  }
}
