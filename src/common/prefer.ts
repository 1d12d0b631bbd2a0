import type { Request } from 'express';

/** The tokens of a `Prefer` header (`no-redirect`, `no-download`), lowercased. */
export function preferences(req: Request): Set<string> {
  const header = req.headers.prefer;
  const values = Array.isArray(header) ? header : header ? [header] : [];
  return new Set(values.flatMap((value) => value.split(',')).map((token) => token.trim().toLowerCase().split('=')[0]).filter(Boolean));
}
