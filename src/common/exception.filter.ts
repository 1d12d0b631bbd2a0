import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject, NotFoundException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { QueryFailedError } from 'typeorm';
import { answered } from './coherence-window.js';
import { DomainError, type ErrorSource } from './errors.js';
import { INVALID_UTF8 } from './json-body.middleware.js';
import { LOGGER } from './logger.js';
import { jsonApiMediaType } from './media-type.js';
import { stateOf } from './request-context.js';
import { methodsServedAt, routedPath } from './route-methods.js';
import { foreignKeyViolation } from './unique.js';

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'TOKEN_INVALID',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'MIME_TYPE_INVALID',
  429: 'RATE_LIMITED',
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENOENT']);
/** SQLSTATE classes that mean "the database cannot serve now": connection, resources, operator, auth. */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '28'];

/** True for errors that mean the database or the storage could not be reached (→ 503, SPEC §1.3). */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // The object store answered 5xx, after the S3 client's own retries: storage is down.
  if ((error as { $fault?: string }).$fault === 'server') return true;
  const code = (error as { code?: string }).code ?? (error as { driverError?: { code?: string } }).driverError?.code;
  if (code && NETWORK_CODES.has(code)) return true;
  if (code && /^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) || code === '3D000')) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Connection is not established|not currently accepting connections|the database system is/i.test(
    error.message,
  );
}

const sqlStateOf = (error: unknown): string | undefined =>
  error instanceof QueryFailedError ? (error.driverError as { code?: string })?.code : undefined;

/** Constraint violations and aborted statements: races and limits, answered as documented, never a 500. */
function databaseRefusal(error: unknown): DomainError | null {
  const sqlState = sqlStateOf(error);
  if (!sqlState) return null;
  if (sqlState === '23505') return new DomainError(409, 'CONFLICT', 'A concurrent write conflicted with this one; retry the request');
  if (sqlState === '23503') return foreignKeyViolation(((error as QueryFailedError).driverError as { constraint?: string }).constraint);
  // Class 40: a deadlock or serialization failure between concurrent writes; retrying succeeds.
  if (sqlState.startsWith('40')) return new DomainError(409, 'CONFLICT', 'A concurrent write conflicted with this one; retry the request');
  // 57014: the statement ran past DATABASE_STATEMENT_TIMEOUT_MS and PostgreSQL cancelled it.
  if (sqlState === '57014') {
    return new DomainError(503, 'SERVICE_UNAVAILABLE', 'The request took too long and was stopped; try again shortly', undefined, { 'Retry-After': '5' });
  }
  // Class 22 (data exception): a value the request carried that the database cannot take.
  if (sqlState.startsWith('22')) return new DomainError(400, 'VALUE_INVALID', 'A value in the request cannot be stored (out of range or malformed)');
  return null;
}

/** Turns anything thrown into the documented error model. */
export function toDomainError(error: unknown): DomainError | null {
  if (error instanceof DomainError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const detail = status === 404 ? 'The requested resource was not found' : error.message;
    return new DomainError(status, HTTP_CODES[status] ?? 'ERROR', detail);
  }
  const bodyError = error as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed') {
    return new DomainError(400, 'BODY_INVALID', 'The request body is not valid JSON');
  }
  if (bodyError?.type === 'entity.too.large') {
    return new DomainError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
  }
  if (bodyError?.type === INVALID_UTF8) {
    return new DomainError(400, 'BODY_INVALID', 'The request body is not valid UTF-8');
  }
  // Errors of the body parser and its decompression carry an HTTP status of their own.
  const status = bodyError?.status ?? (error as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new DomainError(status, HTTP_CODES[status] ?? 'BAD_REQUEST', 'The request body could not be read');
  }
  const refusal = databaseRefusal(error);
  if (refusal) return refusal;
  if (isUnavailable(error)) {
    return new DomainError(503, 'SERVICE_UNAVAILABLE', 'A dependency of the service is unavailable; try again shortly', undefined, {
      'Retry-After': '5',
    });
  }
  return null;
}

@Catch()
export class KeyshelfExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    answerError(this.logger, req, res, (exception instanceof NotFoundException && this.methodNotAllowed(req)) || exception);
  }

  /**
   * A request no route took (Nest's not-found handler threw): 405 when routes serve its path
   * under other methods only. (Handlers throw domain errors, never NotFoundException.)
   */
  private methodNotAllowed(req: Request): DomainError | null {
    const express = this.adapterHost.httpAdapter.getInstance<{ router?: Parameters<typeof methodsServedAt>[0] }>();
    const allowed = methodsServedAt(express.router, routedPath(req));
    if (allowed.length === 0 || allowed.includes(req.method)) return null;
    return new DomainError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not served here; allowed: ${allowed.join(', ')}`, undefined, { Allow: allowed.join(', ') });
  }
}

/**
 * Answers anything thrown while serving a request, in the route's error style: domain errors as
 * they are, database refusals and outages as documented, anything else as a logged 500. Used by
 * the exception filter and by the hot path, which serves a few routes before Nest does.
 */
export function answerError(logger: Logger, req: Request, res: Response, exception: unknown): void {
  const state = stateOf(req);
  // A client that went away mid-request (a dropped upload) needs no answer and is no outage.
  if (clientGone(req, res)) {
    logger.info({ requestId: state?.requestId }, 'client went away');
    return;
  }
  let error = toDomainError(exception);
  if (!error) {
    logger.error({ requestId: state?.requestId, err: loggable(exception) }, 'unhandled error');
    error = new DomainError(500, 'INTERNAL_ERROR', 'An unexpected error occurred');
  } else if (error.status === 503) {
    logger.warn({ requestId: state?.requestId, err: (exception as Error).message }, 'dependency unavailable');
  } else if (error.status === 400 && exception instanceof QueryFailedError) {
    logger.warn({ requestId: state?.requestId, err: loggable(exception) }, 'value refused by the database');
  }
  if (answered(res)) {
    // Headers already out: the client must not take what follows for a whole answer. An answer
    // still waiting out the coherence window is whole, and goes as it is.
    if (res.headersSent) res.destroy();
    return;
  }
  writeError(req, res, error);
}

/**
 * Whether the client's connection is gone, judged from the connection's state. A response
 * without a socket is not that: on a keep-alive connection a response gets its socket only once
 * the previous response on it has finished, and its client is still waiting for it; the
 * request's socket is the connection then. (A request stream destroyed by the server itself,
 * as a failed upload pipeline does, has no socket any more, but its response still has one.)
 */
function clientGone(req: Request, res: Response): boolean {
  const connection = res.socket ?? req.socket;
  return res.destroyed || Boolean(connection?.destroyed);
}

/**
 * What of an error may be logged: never a query's parameters, which carry what the client
 * sent (passwords become hashes there, tokens digests — still not for logs).
 */
function loggable(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  const sqlState = sqlStateOf(error);
  return { type: error.name, message: error.message, ...(sqlState ? { sqlState } : {}), stack: error.stack };
}

/** How much of a detail is echoed: details quote what the client sent, which may be a megabyte. */
const DETAIL_LIMIT = 500;
/** A reason phrase is one short line of visible ASCII (RFC 9112 §4). */
const REASON_LIMIT = 200;

/**
 * At most `limit` characters (UTF-16 code units), cut with a "..." that says so (ASCII, so that
 * it fits a reason phrase). The cut falls between code points, never inside a surrogate pair, and
 * a lone surrogate the client sent becomes U+FFFD: the result is always well-formed Unicode,
 * which strict JSON parsers require.
 */
export function bounded(text: string, limit: number): string {
  const whole = wellFormed(text);
  if (whole.length <= limit) return whole;
  let end = limit - 3;
  if (isHighSurrogate(whole.charCodeAt(end - 1))) end -= 1;
  return `${whole.slice(0, end)}...`;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (text: string) => text.replace(LONE_SURROGATE, '\uFFFD');

/** A source names a parameter or header as the client wrote it: bounded as well. */
const boundedSource = (source: ErrorSource): ErrorSource =>
  Object.fromEntries(Object.entries(source).map(([key, value]) => [key, bounded(String(value), REASON_LIMIT)])) as ErrorSource;

/** A header value with no control characters (a CR or LF would end the header, a NUL is refused by Node). */
const headerSafe = (value: string) => value.replace(/[\u0000-\u001f\u007f]/g, ' ');

/** Writes an error in the form the route speaks; JSON:API unless an engine route said otherwise. */
export function writeError(req: Request, res: Response, error: DomainError): void {
  const state = stateOf(req);
  state?.rateLimit?.onErrorAnswer(error, res);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, headerSafe(value));
  const detail = bounded(error.detail, DETAIL_LIMIT);
  // A refused upload whose request stream was destroyed half-read (413 mid-stream, say) leaves
  // bytes on the connection that nothing will read: it cannot carry another request, so close it
  // after this answer rather than let a keep-alive client wait for a reset (RFC 9112 §9.6).
  if (req.destroyed && !req.complete) res.setHeader('Connection', 'close');
  if (error.status === 401 && !res.hasHeader('WWW-Authenticate')) {
    const scheme = state?.challenge ?? (state?.errorStyle && state.errorStyle !== 'jsonapi' ? 'Basic' : 'Bearer');
    res.setHeader('WWW-Authenticate', `${scheme} realm="keyshelf"`);
  }
  res.status(error.status);
  if (state?.errorStyle === 'text') {
    res.statusMessage = bounded(error.detail.replace(/[^\x20-\x7e]/g, ' '), REASON_LIMIT);
    res.type('text/plain; charset=utf-8').send(`${detail}\n`);
    return;
  }
  const body = {
    meta: { id: state?.requestId },
    errors: [
      {
        title: error.title,
        detail,
        code: error.code,
        ...(error.source ? { source: boundedSource(error.source) } : {}),
      },
    ],
  };
  res.setHeader('Content-Type', state?.errorStyle === 'json' ? 'application/json; charset=utf-8' : jsonApiMediaType(req));
  res.send(JSON.stringify(body));
}
