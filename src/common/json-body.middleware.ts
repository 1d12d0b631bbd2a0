import { Injectable, type NestMiddleware } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import { JSONAPI } from './media-type.js';

/** JSON:API request bodies are small; uploads never pass through this parser. */
export const JSON_BODY_LIMIT = '1mb';

const parse = express.json({ type: [JSONAPI, 'application/json', 'application/*+json'], limit: JSON_BODY_LIMIT, strict: true });

/**
 * Parses JSON bodies inside Nest's pipeline so that a malformed or oversized body is mapped by
 * the exception filter like any other error (400 / 413).
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): Promise<void> | void {
    // Signed upload URLs take the raw bytes, whatever their Content-Type.
    if (req.originalUrl.startsWith('/storage/')) return next();
    return new Promise<void>((resolve, reject) => parse(req, res, (error?: unknown) => (error ? reject(error) : resolve()))).then(() => next());
  }
}
