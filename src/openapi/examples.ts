import type { Schema } from './schema.js';

const EXAMPLE_UUID = '4f9a2c1e-8b3d-4e6f-9a1b-2c3d4e5f6a7b';

/**
 * An example value for a schema: its own `examples` first, else one built from its type. Every
 * operation's examples come from here, and the contract test validates them against the same
 * schemas, so an example cannot say something the document does not.
 */
export function exampleOf(schema: Schema, resolve: (ref: string) => Schema, depth = 0): unknown {
  if (depth > 12) return null;
  if (typeof schema.$ref === 'string') return exampleOf(resolve(schema.$ref), resolve, depth + 1);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum.find((value) => value !== null) ?? null;
  if (Array.isArray(schema.oneOf)) return exampleOf(schema.oneOf[0] as Schema, resolve, depth + 1);
  if (Array.isArray(schema.anyOf)) return exampleOf(schema.anyOf[0] as Schema, resolve, depth + 1);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const type = types.find((t) => t !== 'null') ?? types[0];
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, exampleOf(property, resolve, depth + 1)]));
    }
    case 'array':
      return schema.items ? [exampleOf(schema.items as Schema, resolve, depth + 1)] : [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'string':
      if (schema.format === 'uuid') return EXAMPLE_UUID;
      if (schema.format === 'date-time') return '2026-03-01T12:00:00.000Z';
      if (schema.format === 'email') return 'user@example.com';
      if (schema.format === 'binary') return '';
      return 'string'.padEnd(typeof schema.minLength === 'number' ? schema.minLength : 0, '-');
    default:
      return {};
  }
}
