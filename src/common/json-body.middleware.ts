import { Injectable, type NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DomainError } from './errors.js';
import { checkJsonValue, checkUrl } from './input-safety.js';
import { JSONAPI } from './media-type.js';

/** JSON:API request bodies are small; uploads never pass through this parser. */
export const JSON_BODY_LIMIT = '1mb';

/**
 * Routes that take the raw request body whatever its Content-Type, so no parser may read it
 * first: the signed upload URLs and the generic registry's file PUT (SPEC §3.5, §6.3). Matched
 * on the path as sent; routing ignores case.
 */
const RAW_BODY_ROUTES = [/^\/storage\//i, /^\/v1\/accounts\/[^/?#]+\/engines\/generic\/[^/?#]+\/[^/?#]+\/[^/?#]+\/?(?:[?#]|$)/i];

const parse = express.json({ type: [JSONAPI, 'application/json', 'application/*+json'], limit: JSON_BODY_LIMIT, strict: true });

/**
 * Checks the URL and parses JSON bodies inside Nest's pipeline so that a malformed or oversized body is mapped by
 * the exception filter like any other error (400 / 413).
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): Promise<void> | void {
    checkUrl(req.originalUrl);
    if (RAW_BODY_ROUTES.some((route) => route.test(req.originalUrl))) return next();
    return new Promise<void>((resolve, reject) => parse(req, res, (error?: unknown) => (error ? reject(error) : resolve()))).then(() => {
      const problem = checkJsonValue(req.body);
      if (problem) throw new DomainError(400, 'BODY_INVALID', `The request body is not acceptable: ${problem}`);
      next();
    });
  }
}
