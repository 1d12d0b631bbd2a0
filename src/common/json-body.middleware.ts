import { isUtf8 } from 'node:buffer';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from './errors.js';
import { checkJsonValue, checkUrl } from './input-safety.js';
import { JSONAPI } from './media-type.js';

/** JSON:API request bodies are small (1 MiB); uploads never pass through this parser. */
export const JSON_BODY_LIMIT = 1024 * 1024;

/** The body-parser error type of a JSON body that is not valid UTF-8. */
export const INVALID_UTF8 = 'entity.utf8.invalid';

const JSON_TYPES = [JSONAPI, 'application/json', 'application/*+json'];

/**
 * Routes that read their request bodies themselves: the signed upload URLs and the engines'
 * protocols (twine's multipart, generic PUTs of raw bytes, SPEC §6, §7). Routing ignores case.
 */
const OWN_BODY_ROUTES = /^\/(?:storage\/|v1\/accounts\/[^/?]+\/(?:products\/[^/?]+\/)?engines\/[^/?]+)/i;

/** Body-parser would decode broken UTF-8 to U+FFFD and store that; a JSON text must be UTF-8 (RFC 8259 §8.1). */
function verifyUtf8(_req: unknown, _res: unknown, bytes: Buffer, encoding: string | null): void {
  if ((encoding === null || /^utf-?8$/i.test(encoding)) && !isUtf8(bytes)) {
    throw Object.assign(new Error('the request body is not valid UTF-8'), { status: 400, type: INVALID_UTF8 });
  }
}

const parse = express.json({ type: JSON_TYPES, limit: JSON_BODY_LIMIT, strict: true, verify: verifyUtf8 });

/** A request that carries bytes: a positive Content-Length, or a chunked body. */
function hasContent(req: Request): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? Number(length) > 0 : req.headers['transfer-encoding'] !== undefined;
}

/**
 * Checks the URL and parses JSON bodies inside Nest's pipeline so that a malformed or oversized
 * body is mapped by the exception filter like any other error (400 / 413). A JSON:API route
 * reads JSON only: any other body (text, XML, curl's default form encoding) is a 415 before it
 * is read (SPEC §1.2, §1.3).
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): Promise<void> | void {
    checkUrl(req.originalUrl);
    if (OWN_BODY_ROUTES.test(req.originalUrl)) return next();
    if (hasContent(req) && !req.is(JSON_TYPES)) {
      throw new DomainError(415, 'MIME_TYPE_INVALID', 'The request body must be JSON: send Content-Type application/vnd.api+json or application/json');
    }
    // A declared length over the limit is refused before any byte is read, on a connection closed
    // after the answer: the parser would first read (and drop) all of the declared body, so a
    // client announcing more than it sends would wait for an answer that never comes.
    if (Number(req.headers['content-length']) > JSON_BODY_LIMIT) {
      throw new DomainError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${JSON_BODY_LIMIT} bytes`, undefined, { Connection: 'close' });
    }
    return new Promise<void>((resolve, reject) => parse(req, res, (error?: unknown) => (error ? reject(error) : resolve()))).then(() => {
      const problem = checkJsonValue(req.body);
      if (problem) throw new DomainError(400, 'BODY_INVALID', `The request body is not acceptable: ${problem}`);
      next();
    });
  }
}
