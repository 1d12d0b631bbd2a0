import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DomainError } from '../common/errors.js';
import type { ErrorStyleRule } from '../common/error-style.js';
import { isPypiName, normalizePypiName } from '../products/package-key.js';

/** `/v1/accounts/{account}[/products/{product}]/engines/pypi` and what follows it. */
export const PYPI_PATH = /^(\/v1\/accounts\/[^/]+\/(?:products\/[^/]+\/)?engines\/pypi)(\/.*)?$/i;

/**
 * Where errors are PyPI's plain text (SPEC §1.3, §6.1): every path under the engine (`simple/`,
 * `files/`), and the engine URL itself for what twine sends there (the upload, and any method
 * but GET and HEAD): GET and HEAD on `/engines/pypi` read the engine record (SPEC §3.3), a
 * JSON:API resource like `/engines/generic`.
 */
export const PYPI_ERROR_STYLE: readonly ErrorStyleRule[] = [
  [/^\/v1\/accounts\/[^/]+\/(?:products\/[^/]+\/)?engines\/pypi\/.+$/i, 'text'],
  [/^\/v1\/accounts\/[^/]+\/(?:products\/[^/]+\/)?engines\/pypi\/?$/i, 'text', (method) => method !== 'GET' && method !== 'HEAD'],
];
const SIMPLE = /^\/simple(?:\/([^/]*)(\/?))?$/i;

const methodNotAllowed = () =>
  new DomainError(405, 'METHOD_NOT_ALLOWED', 'Method Not Allowed: the simple index is read with GET; upload to the engine URL itself', undefined, {
    Allow: 'GET, HEAD',
  });

/**
 * Runs before the guard and any lookup on the PyPI routes (SPEC §6.1): errors there are plain
 * text with the message as the reason phrase (twine shows only that, §1.3); anything but GET and
 * HEAD on a `/simple/` URL is 405; and a simple URL that is not in normal form (project name not
 * PEP 503 normalized, trailing slash missing) is answered with a 301 to it, query kept — first,
 * so that an unknown project is sent upstream only under its normalized name.
 */
@Injectable()
export class PypiPathMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const [path, query = ''] = splitUrl(req.originalUrl);
    const match = PYPI_PATH.exec(path);
    if (!match) return next();
    const simple = SIMPLE.exec(match[2] ?? '');
    if (!simple) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
    const [, rawProject, slash] = simple;
    let target: string | null = null;
    if (rawProject === undefined) {
      target = `${match[1]}/simple/`;
    } else if (rawProject !== '') {
      const project = decode(rawProject);
      if (project === null || !isPypiName(project)) throw new DomainError(404, 'NOT_FOUND', 'Not Found: not a valid project name');
      const normalized = normalizePypiName(project);
      if (project !== normalized || slash !== '/') target = `${match[1]}/simple/${encodeURIComponent(normalized)}/`;
    }
    if (!target) return next();
    res.redirect(301, `${target}${query}`);
  }
}

function splitUrl(url: string): [string, string?] {
  const at = url.indexOf('?');
  return at < 0 ? [url] : [url.slice(0, at), url.slice(at)];
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
