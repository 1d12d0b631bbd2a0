import Negotiator from 'negotiator';
import { DomainError } from '../common/errors.js';

export const PYPI_JSON = 'application/vnd.pypi.simple.v1+json';
export const PYPI_HTML = 'application/vnd.pypi.simple.v1+html';
export const TEXT_HTML = 'text/html';

/** The exact types the pages are served as (pip skips a page served as application/json). */
export type PageType = typeof PYPI_JSON | typeof PYPI_HTML | typeof TEXT_HTML;

/**
 * What may be asked for, in the order that breaks ties: `text/html` first, so that a wildcard and
 * no `Accept` at all get the page every client and browser reads; then JSON before the v1 HTML
 * type, so that `application/*` gets JSON. `latest` answers as v1 (PEP 691).
 */
const OFFERED: Record<string, PageType> = {
  [TEXT_HTML]: TEXT_HTML,
  [PYPI_JSON]: PYPI_JSON,
  [PYPI_HTML]: PYPI_HTML,
  'application/vnd.pypi.simple.latest+json': PYPI_JSON,
  'application/vnd.pypi.simple.latest+html': PYPI_HTML,
};

/**
 * Content negotiation for the simple pages (SPEC §6.1, PEP 691): `Accept` with q-values, or
 * `?format=<type>` in its place. Nothing acceptable in `Accept` → `text/html`, as the
 * specification asks; an explicit `format` that names no page type → 400.
 */
export function negotiatePage(accept: string | undefined, format: unknown): PageType {
  if (format !== undefined) {
    const chosen = typeof format === 'string' ? new Negotiator({ headers: { accept: format } }).mediaType(Object.keys(OFFERED)) : undefined;
    if (!chosen) throw new DomainError(400, 'PARAMETER_INVALID', `format must be one of ${Object.keys(OFFERED).join(', ')}`, { parameter: 'format' });
    return OFFERED[chosen];
  }
  const known = accept === undefined ? undefined : NEGOTIATED.get(accept);
  if (known) return known;
  const chosen = new Negotiator({ headers: accept === undefined ? {} : { accept } }).mediaType(Object.keys(OFFERED));
  const type = chosen ? OFFERED[chosen] : TEXT_HTML;
  if (accept !== undefined && accept.length <= 512) {
    // An installer sends the same Accept on every request: negotiated once. Bounded: emptied when full.
    if (NEGOTIATED.size >= 256) NEGOTIATED.clear();
    NEGOTIATED.set(accept, type);
  }
  return type;
}

/** `Accept` values already negotiated, and their page type. */
const NEGOTIATED = new Map<string, PageType>();
