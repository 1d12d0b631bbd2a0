import { type CallHandler, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';

/**
 * Counts the route handlers still running, so that shutdown can wait for them (SPEC §9): when
 * the deadline cuts a stalled upload, its handler still has to remove the staged temporary
 * file (SPEC §7) before the process exits.
 */
@Injectable()
export class InFlightHandlers implements NestInterceptor {
  private running = 0;
  private idle: (() => void)[] = [];

  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    this.running += 1;
    return next.handle().pipe(finalize(() => this.done()));
  }

  /** The same, for a handler that runs outside Nest's pipeline (the hot path). */
  async track<T>(handler: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await handler();
    } finally {
      this.done();
    }
  }

  private done(): void {
    this.running -= 1;
    if (this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves true once no handler runs, or false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
