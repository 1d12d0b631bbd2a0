/** JSON:API documents (SPEC §1.2). Each resource has one serializer built on these helpers. */

export interface Linkage {
  type: string;
  id: string;
}

export interface Relationship {
  data?: Linkage | null;
  links: { related: string };
}

export interface ResourceObject {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  relationships: Record<string, Relationship>;
  links: { self: string };
}

export interface PageLinks {
  self: string;
  first: string;
  prev: string | null;
  next: string | null;
  last: string;
}

/** A response document; the interceptor writes it with the negotiated media type. */
export class JsonApiDocument {
  constructor(
    readonly body: {
      /** Absent only in meta-only documents (validate-key). */
      data?: ResourceObject | ResourceObject[] | null;
      meta?: Record<string, unknown>;
      links?: PageLinks | Record<string, string>;
    },
    readonly status = 200,
    readonly headers: Record<string, string> = {},
  ) {}

  static created(resource: ResourceObject, meta?: Record<string, unknown>): JsonApiDocument {
    return new JsonApiDocument({ data: resource, ...(meta ? { meta } : {}) }, 201, { Location: resource.links.self });
  }
}

export function accountPath(accountId: string): string {
  return `/v1/accounts/${accountId}`;
}

export function resourcePath(accountId: string, type: string, id: string): string {
  return `${accountPath(accountId)}/${type}/${encodeURIComponent(id)}`;
}

export function toOne(type: string, id: string | null, related: string): Relationship {
  return { data: id ? { type, id } : null, links: { related } };
}

export function toMany(related: string): Relationship {
  return { links: { related } };
}

export function timestamp(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}

export function resource(
  accountId: string,
  type: string,
  id: string,
  attributes: Record<string, unknown>,
  relationships: Record<string, Relationship> = {},
): ResourceObject {
  return { id, type, attributes, relationships, links: { self: resourcePath(accountId, type, id) } };
}
