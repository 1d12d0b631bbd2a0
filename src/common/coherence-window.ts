import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { stateOf } from './request-context.js';

/**
 * Methods whose handlers write nothing a change serial covers (downloads count without moving
 * one), so their answers need not wait.
 */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * POST routes that only read (Keygen's shape: the key travels in the body). Installed software
 * calls validate-key as often as it polls, so its answers do not wait. Matched exactly as
 * Nest routes them by default; any other spelling is taken for a write.
 */
const READ_ONLY_POSTS = /^\/v1\/accounts\/[^/?#]+\/licenses\/actions\/validate-key\/?(?:\?|$)/;

/**
 * Whether a request may write: its answer waits the window out, and its account, serials and
 * credentials are read afresh rather than from a read other requests shared (so that no write
 * is ever authorised by a read older than the request).
 */
export function mayWrite(req: Pick<Request, 'method' | 'url'>): boolean {
  return !READS.has(req.method) && !(req.method === 'POST' && READ_ONLY_POSTS.test(req.url));
}

/** Answers ended and waiting out the window: already answered, though their headers are not sent yet. */
const held = new WeakSet<Response>();

/** Whether a response has been answered (its headers sent, or its end waiting out the window). */
export function answered(res: Response): boolean {
  return res.headersSent || held.has(res);
}

/** Calls `then` once `ms` of real time have passed since `from` (a `performance.now()` reading). */
function after(from: number, ms: number, then: () => void): void {
  const left = from + ms - performance.now();
  // A timer's delay counts from the loop's cached clock, which may be behind: checked again.
  if (left > 0) setTimeout(() => after(from, ms, then), Math.ceil(left));
  else then();
}

/**
 * The writer's half of the coherence window (the reader's is in AccountsRepository): the answer
 * to a request that may write is sent no sooner than `windowMs` after its handler ended, hence
 * after its commit. An instance answers a read-only request from a read of the change serials
 * sent at most `windowMs` before the request arrived; a request sent after this answer arrives
 * more than `windowMs` after the commit, so whatever read answers it, on any instance, was sent
 * after the commit and sees it (docs/decisions.md, "The coherence window").
 */
export function writesWaitOutTheWindow(windowMs: number, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (windowMs > 0 && mayWrite(req)) {
      const end = res.end;
      res.end = function (this: Response, ...args: unknown[]) {
        if (held.has(this)) return this;
        held.add(this);
        after(performance.now(), windowMs, () => {
          try {
            (end as (...a: unknown[]) => Response).apply(this, args);
          } catch (error) {
            logger.error({ requestId: stateOf(req)?.requestId, err: error instanceof Error ? error.message : String(error) }, 'could not end an answer');
            this.destroy();
          }
        });
        return this;
      } as Response['end'];
    }
    next();
  };
}
