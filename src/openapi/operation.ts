import { SetMetadata } from '@nestjs/common';
import type { Schema } from './schema.js';

export const OPERATION_DOC = 'keyshelf:openapi';

/** What a successful answer's body is. */
export type Body =
  /** A JSON:API document whose `data` is one resource of these types (`meta` optional). */
  | { kind: 'one'; types: readonly string[]; meta?: Schema; nullable?: boolean }
  /** A paged list (SPEC §1.4). */
  | { kind: 'list'; type: string }
  /** `data` is an unpaged array (attach answers). */
  | { kind: 'many'; type: string }
  /** A meta-only JSON:API document. */
  | { kind: 'meta'; meta: Schema }
  /** No body. */
  | { kind: 'none' }
  /** Anything else: the media types and schemas as they are (engine routes). */
  | { kind: 'raw'; content: Record<string, { schema: Schema; example?: unknown }> };

export interface SuccessDoc {
  description: string;
  body: Body;
  /** Response headers by name: `Location` and the like (X-Request-Id is on every answer). */
  headers?: Record<string, string>;
}

export interface QueryDoc {
  name: string;
  description: string;
  schema?: Schema;
  required?: boolean;
}

/**
 * The contract of one operation that route metadata cannot tell: the answers, the query
 * parameters, the `Prefer` tokens. Security comes from `@Public`/`@Allow`, the request body
 * from the route's body pipe, and the errors from the route's kind (see openapi/document.ts).
 */
export interface OperationDoc {
  /** Success answers by status; without one, the route's default status with `body`. */
  success?: Record<number, SuccessDoc>;
  body?: Body;
  query?: readonly QueryDoc[];
  /** `Prefer` tokens the route honours. */
  prefer?: readonly string[];
  /** How errors are written: JSON:API (default), a JSON error document, or plain text (twine). */
  errors?: 'jsonapi' | 'json' | 'text';
  /** Extra error statuses beyond those every operation of its kind has. */
  errorStatuses?: readonly number[];
  /** A request body that no pipe describes (uploads). */
  requestBody?: { description: string; content: Record<string, { schema: Schema }>; required?: boolean };
  description?: string;
}

export const ApiDoc = (doc: OperationDoc) => SetMetadata(OPERATION_DOC, doc);

export const one = (...types: string[]): Body => ({ kind: 'one', types });
/** A related to-one: `data` is the resource, or null when there is none. */
export const oneOrNull = (type: string): Body => ({ kind: 'one', types: [type], nullable: true });
export const list = (type: string): Body => ({ kind: 'list', type });
export const many = (type: string): Body => ({ kind: 'many', type });
export const none: Body = { kind: 'none' };
