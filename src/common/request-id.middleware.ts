import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { KeyshelfRequest } from './request-context.js';

const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

/** Every response carries X-Request-Id, taken from the client when well-formed (SPEC §1.3). */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const given = req.header('x-request-id');
  const requestId = given && WELL_FORMED.test(given) ? given : randomUUID();
  (req as KeyshelfRequest).keyshelf = { requestId, startedAt: process.hrtime.bigint() };
  res.setHeader('X-Request-Id', requestId);
  next();
}
