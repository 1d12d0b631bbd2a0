import { setTimeout as delay } from 'node:timers/promises';
import type { NextFunction, Request, Response } from 'express';
import { pino } from 'pino';
import { answered, mayWrite, writesWaitOutTheWindow } from './coherence-window.js';
import { DomainError } from './errors.js';
import { answerError } from './exception.filter.js';

/** A response whose `end` records when it ran. */
function response() {
  const ended: number[] = [];
  const res = {
    end(this: unknown) {
      ended.push(performance.now());
      return this;
    },
    headersSent: false,
    destroyed: false,
    destroy() {
      res.destroyed = true;
    },
  };
  return { res: res as unknown as Response, ended, original: res.end };
}

const through = (windowMs: number, method: string, url: string) => {
  const { res, ended, original } = response();
  let nexted = false;
  writesWaitOutTheWindow(windowMs, pino({ level: 'silent' }))({ method, url } as Request, res, (() => (nexted = true)) as NextFunction);
  expect(nexted).toBe(true);
  return { res, ended, original };
};

describe('the coherence window, writer side', () => {
  it.each([
    ['GET', '/v1/accounts/acme/products', false],
    ['HEAD', '/v1/accounts/acme/engines/pypi/simple/demo/', false],
    ['OPTIONS', '/v1/accounts/acme/products', false],
    ['POST', '/v1/accounts/acme/licenses/actions/validate-key', false],
    ['POST', '/v1/accounts/acme/licenses/actions/validate-key?x=1', false],
    ['POST', '/v1/accounts/acme/licenses/actions/validate-key/extra', true],
    ['POST', '/v1/accounts/acme/licenses/actions/validate-keys', true],
    ['POST', '/v1/accounts/acme/licenses/LICENSE-ID/actions/suspend', true],
    ['POST', '/v1/accounts/acme/products', true],
    ['PUT', '/v1/accounts/acme/engines/generic/app/1.0/a.bin', true],
    ['PATCH', '/v1/accounts/acme/releases/1', true],
    ['DELETE', '/v1/accounts/acme/tokens/1', true],
  ])('%s %s may write: %s', (method, url, expected) => {
    expect(mayWrite({ method, url })).toBe(expected);
  });

  it('leaves the answers of requests that only read alone', () => {
    for (const [method, url] of [
      ['GET', '/v1/accounts/acme/products'],
      ['POST', '/v1/accounts/acme/licenses/actions/validate-key'],
    ]) {
      const { res, original } = through(50, method, url);
      expect(res.end).toBe(original);
    }
  });

  it('leaves every answer alone when the window is 0', () => {
    const { res, original } = through(0, 'POST', '/v1/accounts/acme/products');
    expect(res.end).toBe(original);
  });

  it('sends the answer to a write no sooner than the window after its handler ended', async () => {
    const { res, ended } = through(30, 'POST', '/v1/accounts/acme/products');
    const calledAt = performance.now();
    expect(answered(res)).toBe(false);
    expect(res.end()).toBe(res);
    // Answered already, for whoever would answer again (the exception filter), and ended once.
    expect(answered(res)).toBe(true);
    expect(res.end()).toBe(res);
    expect(ended).toHaveLength(0);
    while (ended.length === 0) await delay(5);
    expect(ended[0] - calledAt).toBeGreaterThanOrEqual(30);
    await delay(40);
    expect(ended).toHaveLength(1);
  });

  it('lets a waiting answer go whole when an error comes after it (no second answer, no cut connection)', async () => {
    const { res, ended } = through(20, 'POST', '/v1/accounts/acme/products');
    res.end();
    const req = { keyshelf: { requestId: 'r' }, socket: { destroyed: false } } as unknown as Request;
    answerError(pino({ level: 'silent' }), req, res, new DomainError(422, 'X', 'late'));
    expect(res.destroyed).toBe(false);
    while (ended.length === 0) await delay(5);
    expect(ended).toHaveLength(1);
  });
});
