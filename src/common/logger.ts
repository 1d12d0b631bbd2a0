import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { pino, type Logger } from 'pino';
import { stateOf } from './request-context.js';

/**
 * Structured JSON logs (SPEC §8.2). Request lines carry the request id, method, route, status,
 * duration and account, and deliberately no headers, query string, body or raw path:
 * credentials travel in headers (and userinfo), and a path may carry one too (a license key
 * where a Keygen client looks a license up by key), so a request is logged by its route
 * pattern (`/v1/accounts/:account/licenses/:id`), never by the path it was sent to.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'keyshelf' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.authorization', '*.password', '*.token', '*.key'], censor: '[redacted]' },
  });
}

export function requestLogMiddleware(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.on('finish', () => {
      const state = stateOf(req);
      const durationMs = Number(process.hrtime.bigint() - state.startedAt) / 1e6;
      const route = (req.route as { path?: string } | undefined)?.path;
      const status = res.statusCode;
      const line = {
        requestId: state.requestId,
        method: req.method,
        route: route ?? null,
        status,
        durationMs: Math.round(durationMs * 10) / 10,
        account: state.account?.id ?? null,
      };
      if (status >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request');
    });
    next();
  };
}

/** Routes Nest's own messages through pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    // Nest's start-up chatter (a line per module and per route) is for debugging, not for operators.
    const chatter = context === 'RoutesResolver' || context === 'RouterExplorer' || context === 'InstanceLoader' || context === 'NestFactory' || context === 'NestApplication';
    if (chatter) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

export const LOGGER = Symbol('LOGGER');
