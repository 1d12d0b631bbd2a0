import { MAX_LIST_VALUES } from '../common/list-query.js';

/**
 * JSON Schema (OpenAPI 3.1) building blocks for the wire shapes. Each serializer declares its
 * resource's shape with these beside the code that writes it; the contract test validates every
 * response the suites receive against them, so a serializer and its schema cannot drift apart.
 */
export type Schema = Record<string, unknown>;

export const string = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
export const integer = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
export const boolean = (extra: Schema = {}): Schema => ({ type: 'boolean', ...extra });
export const oneOf = (values: readonly string[], extra: Schema = {}): Schema => ({ type: 'string', enum: [...values], ...extra });
export const uuid = (extra: Schema = {}): Schema => ({ type: 'string', format: 'uuid', ...extra });
/** RFC 3339 UTC with milliseconds (SPEC §1.1). */
export const dateTime = (extra: Schema = {}): Schema => ({ type: 'string', format: 'date-time', examples: ['2026-03-01T12:00:00.000Z'], ...extra });
export const metadata = (extra: Schema = {}): Schema => ({
  type: 'object',
  additionalProperties: true,
  description: 'Free-form JSON object, at most 16 KiB',
  examples: [{}],
  ...extra,
});

/** The same schema, also allowing null. */
export function nullable(schema: Schema): Schema {
  const type = schema.type;
  const types = Array.isArray(type) ? type : type ? [type] : [];
  const result: Schema = { ...schema, type: [...new Set([...types, 'null'])] };
  if (Array.isArray(schema.enum)) result.enum = [...(schema.enum as unknown[]), null];
  return result;
}

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export interface ToOne {
  kind: 'one';
  /** The linked resource's type, or several when the link is polymorphic. */
  type: string | readonly string[];
  /** `data` may be null (an optional to-one). */
  nullable?: boolean;
  /** The relationship is left out entirely when there is nothing to link. */
  optional?: boolean;
}
export interface ToMany {
  kind: 'many';
}
export type RelationshipShape = ToOne | ToMany;

export const toOne = (type: string | readonly string[], options: Omit<ToOne, 'kind' | 'type'> = {}): ToOne => ({ kind: 'one', type, ...options });
export const toMany = (): ToMany => ({ kind: 'many' });

/** A resource's wire shape: what its serializer writes. */
export interface ResourceShape {
  type: string;
  /** Component name stem, e.g. `Artifact`. */
  name: string;
  description: string;
  attributes: Record<string, Schema>;
  /** Attributes present only in some responses (a token's or a license key's one showing). */
  optionalAttributes?: readonly string[];
  relationships?: Record<string, RelationshipShape>;
}

function linkageSchema(type: string | readonly string[]): Schema {
  const types = typeof type === 'string' ? [type] : [...type];
  return {
    type: 'object',
    required: ['type', 'id'],
    additionalProperties: false,
    properties: { type: { type: 'string', enum: types }, id: uuid() },
  };
}

const related = { type: 'object', required: ['related'], additionalProperties: false, properties: { related: string({ description: 'URL of the related resource(s)' }) } };

function relationshipSchema(shape: RelationshipShape): Schema {
  if (shape.kind === 'many') return { type: 'object', required: ['links'], additionalProperties: false, properties: { links: related } };
  const linkage = linkageSchema(shape.type);
  return {
    type: 'object',
    required: ['data', 'links'],
    additionalProperties: false,
    properties: { data: shape.nullable ? { oneOf: [linkage, { type: 'null' }] } : linkage, links: related },
  };
}

/** The JSON:API resource object schema of a shape (SPEC §1.2). */
export function resourceObjectSchema(shape: ResourceShape): Schema {
  const relationships = shape.relationships ?? {};
  const optional = new Set(shape.optionalAttributes ?? []);
  return {
    type: 'object',
    description: shape.description,
    required: ['id', 'type', 'attributes', 'relationships', 'links'],
    additionalProperties: false,
    properties: {
      id: uuid(),
      type: { type: 'string', enum: [shape.type] },
      attributes: {
        type: 'object',
        required: Object.keys(shape.attributes).filter((name) => !optional.has(name)),
        additionalProperties: false,
        properties: shape.attributes,
      },
      relationships: {
        type: 'object',
        required: Object.entries(relationships)
          .filter(([, rel]) => !(rel.kind === 'one' && rel.optional))
          .map(([name]) => name),
        additionalProperties: false,
        properties: Object.fromEntries(Object.entries(relationships).map(([name, rel]) => [name, relationshipSchema(rel)])),
      },
      links: { type: 'object', required: ['self'], additionalProperties: false, properties: { self: string({ description: 'This resource’s URL' }) } },
    },
  };
}

/**
 * A relationship document of a to-many linkage, `{"data":[{"type":…,"id":…}]}` (attach and
 * detach bodies; `dataList` in common/json-members.ts reads it).
 */
export function linkageList(type: string, extra: Schema = {}): Schema {
  return { ...dataArray(linkage(type)), ...extra };
}

/** A resource linkage `{"type":…,"id":…}` of one type. */
export function linkage(type: string): Schema {
  return {
    type: 'object',
    required: ['type', 'id'],
    additionalProperties: false,
    properties: { type: { type: 'string', enum: [type] }, id: string({ minLength: 1, examples: [type === 'entitlements' ? 'pro' : '4f9a2c1e-8b3d-4e6f-9a1b-2c3d4e5f6a7b'] }) },
  };
}

/** A request document whose `data` is a bounded, non-empty array of `items` (SPEC §1.4 limits). */
export function dataArray(items: Schema): Schema {
  return {
    type: 'object',
    required: ['data'],
    additionalProperties: false,
    properties: { data: { type: 'array', minItems: 1, maxItems: MAX_LIST_VALUES, items } },
  };
}

/** `links` and `meta` of a paged list (SPEC §1.4). */
export const PAGE_LINKS: Schema = {
  type: 'object',
  required: ['self', 'first', 'prev', 'next', 'last'],
  additionalProperties: false,
  properties: {
    self: string(),
    first: string(),
    prev: { type: ['string', 'null'] },
    next: { type: ['string', 'null'] },
    last: string(),
  },
};
export const PAGE_META: Schema = {
  type: 'object',
  required: ['pages', 'count'],
  additionalProperties: false,
  properties: { pages: integer({ minimum: 1 }), count: integer({ minimum: 0 }) },
};

/** Codes named by SPEC §1.3 and those the API adds; attribute codes follow `<ATTRIBUTE>_<KIND>`. */
export const ERROR_CODE_EXAMPLES = [
  'NOT_FOUND',
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'LICENSE_INVALID',
  'LICENSE_SUSPENDED',
  'LICENSE_EXPIRED',
  'LICENSE_NOT_ALLOWED',
  'FORBIDDEN',
  'CONSTRAINT_INVALID',
  'PARAMETER_INVALID',
  'PARAMETER_UNPERMITTED',
  'ATTRIBUTE_UNPERMITTED',
  'RELATIONSHIP_UNPERMITTED',
  'MEMBER_UNPERMITTED',
  'DATA_INVALID',
  'TYPE_INVALID',
  'ID_UNPERMITTED',
  'VERSION_TAKEN',
  'VERSION_INVALID',
  'VERSION_CHANNEL_INVALID',
  'KEY_TAKEN',
  'CODE_TAKEN',
  'FILENAME_TAKEN',
  'PACKAGE_NOT_ALLOWED',
  'ENTITLEMENT_NOT_FOUND',
  'ENTITLEMENT_TAKEN',
  'BACKDATED_INVALID',
  'CHECKSUM_MISMATCH',
  'FILESIZE_MISMATCH',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'MIME_TYPE_INVALID',
  'NOT_ACCEPTABLE',
  'CONFLICT',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export const ERROR_DOCUMENT: Schema = {
  type: 'object',
  description: 'A JSON:API error document (SPEC §1.3)',
  required: ['meta', 'errors'],
  additionalProperties: false,
  properties: {
    meta: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: string({ description: 'The request id (X-Request-Id)' }) } },
    errors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['title', 'detail', 'code'],
        additionalProperties: false,
        properties: {
          title: string({ examples: ['Unprocessable resource'] }),
          detail: string({ examples: ['version already exists'] }),
          code: string({
            pattern: '^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$',
            description: `UPPER_SNAKE: \`<ATTRIBUTE>_<KIND>\` for validation (VERSION_TAKEN, FILENAME_MISSING, …) and fixed codes for the rest: ${ERROR_CODE_EXAMPLES.join(', ')}`,
            examples: ['VERSION_TAKEN'],
          }),
          source: {
            oneOf: [
              { type: 'object', required: ['pointer'], additionalProperties: false, properties: { pointer: string({ description: 'JSON pointer into the request body' }) } },
              { type: 'object', required: ['parameter'], additionalProperties: false, properties: { parameter: string({ description: 'The query parameter at fault' }) } },
              { type: 'object', required: ['header'], additionalProperties: false, properties: { header: string({ description: 'The header at fault' }) } },
            ],
          },
        },
      },
    },
  },
};
