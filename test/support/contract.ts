import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject } from '@nestjs/swagger';

type Json = Record<string, unknown>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal segments count: among several matches the most literal wins (`/releases/actions/upgrade` over `/releases/{id}`). */
  literals: number;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

export interface Exchange {
  method: string;
  url: string;
  status: number;
  contentType: string;
  body: string;
}

const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * The OpenAPI document as a validator of real answers: finds the operation an exchange went
 * to, picks the response of its status (or `default`) and media type, and validates the body
 * with ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) against that schema in the document.
 */
export class Contract {
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: false, validateFormats: true }));
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    this.ajv.addSchema(document as unknown as Json, 'openapi.json');
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, Json>)) {
        const segments = template.split('/');
        const regex = segments.map((segment) => (segment.startsWith('{') ? (segment === '{filename}' ? '.+' : '[^/]+') : escapeRegex(segment))).join('/');
        this.operations.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${regex}/?$`),
          literals: segments.filter((segment) => !segment.startsWith('{')).length,
          responses: (operation.responses ?? {}) as Operation['responses'],
        });
      }
    }
    this.operations.sort((a, b) => b.literals - a.literals);
  }

  /** The operation serving a method and path, or undefined. HEAD is answered by GET. */
  operation(method: string, path: string): Operation | undefined {
    const wanted = method === 'HEAD' ? 'GET' : method;
    return this.operations.find((op) => op.method === wanted && op.pattern.test(path));
  }

  /** What is wrong with an answer, or null. Only JSON bodies are validated; others need a documented status. */
  check(exchange: Exchange): string | null {
    const path = new URL(exchange.url, 'http://localhost').pathname;
    const op = this.operation(exchange.method, path);
    if (!op) return null;
    const key = op.responses[String(exchange.status)] ? String(exchange.status) : exchange.status >= 400 && op.responses.default ? 'default' : null;
    const where = `${exchange.method} ${exchange.url} → ${exchange.status}`;
    if (!key) return `${where}: status ${exchange.status} is not documented for ${op.method} ${op.template}`;
    const mediaType = exchange.contentType.split(';')[0].trim().toLowerCase();
    const isJson = mediaType === 'application/json' || mediaType.endsWith('+json');
    if (!isJson || exchange.method === 'HEAD' || exchange.body === '') return null;
    const content = op.responses[key].content ?? {};
    if (!content[mediaType]) return `${where}: ${mediaType} is not documented (documented: ${Object.keys(content).join(', ') || 'no body'})`;
    let body: unknown;
    try {
      body = JSON.parse(exchange.body);
    } catch {
      return `${where}: the body is not JSON`;
    }
    const validate = this.validator(op, key, mediaType);
    if (validate(body)) return this.checkLinks(where, body);
    const [error] = validate.errors ?? [];
    return `${where}: ${error?.instancePath || '/'} ${error?.message} (${JSON.stringify(error?.params)}) against ${op.method} ${op.template} ${key}`;
  }

  /** Every link in a JSON:API answer leads to a documented GET route. */
  private checkLinks(where: string, body: unknown): string | null {
    for (const link of links(body)) {
      const path = new URL(link, 'http://localhost').pathname;
      if (!this.operation('GET', path)) return `${where}: the link ${link} leads to no documented route`;
    }
    return null;
  }

  private validator(op: Operation, status: string, mediaType: string): ValidateFunction {
    const ref = `openapi.json#/${pointer('paths', op.template, op.method.toLowerCase(), 'responses', status, 'content', mediaType, 'schema')}`;
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    return validate;
  }

  /** Validates a value against the schema at a place in the document (an example against its schema). */
  validateAt(path: string[], value: unknown): string | null {
    const ref = `openapi.json#/${pointer(...path)}`;
    const validate = this.compiled.get(ref) ?? this.ajv.compile({ $ref: ref });
    this.compiled.set(ref, validate);
    return validate(value) ? null : `${validate.errors?.[0]?.instancePath} ${validate.errors?.[0]?.message}`;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** links.self and relationships' links.related of the resources in a document, and the document's own self. */
export function links(body: unknown): string[] {
  const found: string[] = [];
  if (typeof body !== 'object' || body === null) return found;
  const data = (body as Json).data;
  for (const item of Array.isArray(data) ? data : data ? [data] : []) {
    const resource = item as { links?: { self?: string }; relationships?: Record<string, { links?: { related?: string } }> };
    if (resource.links?.self) found.push(resource.links.self);
    for (const relationship of Object.values(resource.relationships ?? {})) {
      if (relationship.links?.related) found.push(relationship.links.related);
    }
  }
  return found;
}
