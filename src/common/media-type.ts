import type { Request } from 'express';

export const JSONAPI = 'application/vnd.api+json';

/**
 * The response follows the request's Accept between JSON:API and plain JSON (SPEC §1.2):
 * plain JSON only when the client asks for it and not for JSON:API.
 */
export function jsonApiMediaType(req: Request): string {
  const preferred = req.accepts([JSONAPI, 'application/json']);
  return preferred === 'application/json' ? 'application/json; charset=utf-8' : `${JSONAPI}; charset=utf-8`;
}
