import type { NextFunction, Request, Response } from 'express';

/**
 * Methods whose handlers write nothing a change serial covers (downloads count without moving
 * one), so their answers need not wait.
 */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Resolves once `ms` of real time have passed since `from` (a `performance.now()` reading). */
function after(from: number, ms: number, then: () => void): void {
  const left = from + ms - performance.now();
  // A timer's delay counts from the loop's cached clock, which may be behind: checked again.
  if (left > 0) setTimeout(() => after(from, ms, then), Math.ceil(left));
  else then();
}

/**
 * The writer's half of the coherence window (the reader's is in AccountsRepository): a response
 * to a request that may have written is sent no sooner than `windowMs` after its handler ended,
 * hence after its commit. An instance answers from a read of the change serials sent at most
 * `windowMs` before a request arrived; a request that follows this response arrives more than
 * `windowMs` after the commit, so whatever read answers it, on any instance, was sent after the
 * commit and sees it: a write shows on the very next request (SPEC §6.1, §9).
 */
export function writesWaitOutTheWindow(windowMs: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (windowMs > 0 && !READS.has(req.method)) {
      const end = res.end;
      res.end = function (this: Response, ...args: unknown[]) {
        after(performance.now(), windowMs, () => (end as (...a: unknown[]) => Response).apply(this, args));
        return this;
      } as Response['end'];
    }
    next();
  };
}
