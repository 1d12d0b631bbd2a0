import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata.js';
import { NATURAL_KEY } from '../common/validators.js';
import type { ResourceBodyRules } from '../common/resource-body.js';
import { nullable, uuid, type Schema } from './schema.js';

/**
 * The request schema of a writable-attributes DTO, read from the same class-validator metadata
 * that ResourceBodyPipe validates with: the document describes exactly what the pipe accepts.
 * `@IsOptional()` means "may be absent or null", `@NotNullIfPresent()` (a ValidateIf) "may be
 * absent, not null", neither "required".
 */
export function attributesSchema(dto: new () => object, hints: Record<string, Schema> = {}): Schema {
  const byProperty = new Map<string, ValidationMetadata[]>();
  for (const entry of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    byProperty.set(entry.propertyName, [...(byProperty.get(entry.propertyName) ?? []), entry]);
  }
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [property, entries] of byProperty) {
    const conditional = entries.filter((entry) => entry.type === 'conditionalValidation');
    const mayBeNull = conditional.some((entry) => entry.name === 'isOptional');
    if (conditional.length === 0) required.push(property);
    const schema = propertySchema(entries, hints[property]);
    properties[property] = mayBeNull ? nullable(schema) : schema;
  }
  return { type: 'object', additionalProperties: false, required, properties };
}

function propertySchema(entries: ValidationMetadata[], hint: Schema = {}): Schema {
  // metadataSize (IsMetadata's 16 KiB) is said by the response attribute's description.
  const schema: Schema = {};
  const descriptions: string[] = [];
  for (const entry of entries) {
    const [first, second] = (entry.constraints ?? []) as unknown[];
    switch (entry.name) {
      case 'isString':
        schema.type = 'string';
        break;
      case 'isInt':
        schema.type = 'integer';
        break;
      case 'isNumber':
        schema.type = 'number';
        break;
      case 'isBoolean':
        schema.type = 'boolean';
        break;
      case 'isIn':
        schema.type = 'string';
        schema.enum = [...(first as string[])];
        break;
      case 'maxLength':
        schema.maxLength = first;
        break;
      case 'isLength':
        schema.minLength = first;
        schema.maxLength = second;
        break;
      case 'min':
        schema.minimum = first;
        break;
      case 'max':
        schema.maximum = first;
        break;
      case 'isEmail':
        schema.format = 'email';
        break;
      case 'isUrl':
        descriptions.push('a URL');
        break;
      case 'matches':
        schema.pattern = (first as RegExp).source;
        break;
      case 'isNaturalKey':
        schema.type = 'string';
        schema.pattern = NATURAL_KEY.source;
        descriptions.push('never shaped like a UUID');
        break;
      case 'isTimestamp':
        schema.type = 'string';
        schema.format = 'date-time';
        break;
      case 'isObject':
        schema.type = 'object';
        schema.additionalProperties = true;
        break;
      default:
        break;
    }
  }
  // From the response attribute of the same name: its examples, its description unless the
  // request has rules of its own (an enum), and its enum where the service checks the values.
  const ownEnum = Array.isArray(schema.enum);
  if (!ownEnum && schema.type === 'string' && Array.isArray(hint.enum)) schema.enum = hint.enum.filter((value) => value !== null);
  const text = [ownEnum ? undefined : hint.description, ...descriptions].filter(Boolean).join('; ');
  return { ...schema, ...(text ? { description: text } : {}), ...(hint.examples ? { examples: hint.examples } : {}) };
}

const EXAMPLE_ID = '4f9a2c1e-8b3d-4e6f-9a1b-2c3d4e5f6a7b';
const NATURAL_KEY_EXAMPLES: Record<string, string> = { products: 'app', packages: 'app', releases: '1.0.0', entitlements: 'pro', users: 'ops@acme.test' };

/** The linkage a request may carry for a relationship: `{"data":{"type":…,"id":…}}`. */
function requestRelationship(type: string, required: boolean): Schema {
  const linkage = {
    type: 'object',
    required: ['type', 'id'],
    additionalProperties: false,
    properties: { type: { type: 'string', enum: [type] }, id: { type: 'string', minLength: 1, description: `The ${type} id or natural key`, examples: [NATURAL_KEY_EXAMPLES[type] ?? EXAMPLE_ID] } },
  };
  return { type: 'object', required: ['data'], additionalProperties: false, properties: { data: required ? linkage : { oneOf: [linkage, { type: 'null' }] } } };
}

/** The whole request document ResourceBodyPipe reads (SPEC §1.2). */
export function resourceRequestSchema(rules: ResourceBodyRules<object>, hints: Record<string, Schema> = {}): Schema {
  const relationships = rules.relationships ?? {};
  const required = Object.entries(relationships)
    .filter(([, rule]) => rule.required)
    .map(([name]) => name);
  const update = rules.purpose === 'update';
  const data: Schema = {
    type: 'object',
    required: ['type', ...(required.length ? ['relationships'] : [])],
    additionalProperties: false,
    properties: {
      type: { type: 'string', enum: [rules.type] },
      ...(update ? { id: uuid({ description: 'Optional; when present it must be the id of the record being updated' }) } : {}),
      attributes: attributesSchema(rules.attributes, hints),
      ...(Object.keys(relationships).length
        ? {
            relationships: {
              type: 'object',
              required,
              additionalProperties: false,
              properties: Object.fromEntries(Object.entries(relationships).map(([name, rule]) => [name, requestRelationship(rule.type, !!rule.required)])),
            },
          }
        : {}),
    },
  };
  return { type: 'object', required: ['data'], additionalProperties: false, properties: { data } };
}
