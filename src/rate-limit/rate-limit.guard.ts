import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { parseCredentials } from '../auth/credentials.js';
import { DomainError } from '../common/errors.js';
import { stateOf } from '../common/request-context.js';
import { type Charge, RateLimits } from './rate-limits.service.js';
import { AccountAliases, addressKey, type Budget, budgetOf, UNRESOLVED_ACCOUNT } from './request-key.js';

const TOKEN_CREATION = 'keyshelf:token-creation-limit';

/** The route also draws on the token-creation budget (POST /tokens, SPEC §8.4). */
export const TokenCreationLimit = () => SetMetadata(TOKEN_CREATION, true);

/** The license-state refusals of SPEC §1.5's table: failed authentications, like every 401. */
const LICENSE_STATE_CODES = new Set(['LICENSE_SUSPENDED', 'LICENSE_EXPIRED', 'LICENSE_NOT_ALLOWED']);

export function isFailedAuthentication(error: { status: number; code: string }): boolean {
  return error.status === 401 || (error.status === 403 && LICENSE_STATE_CODES.has(error.code));
}

/**
 * Rate limits per account and client address (SPEC §8.4). A global guard registered before the
 * auth guard, so that a request over its limit is refused before any database query, and after
 * the middleware, so that a 429 answers in the route's error style (§1.3). Only routes under
 * /v1/accounts/{account} are limited: health must always answer, and a signed /storage URL
 * was issued by a request that was counted already.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly aliases = new AccountAliases();

  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const segment = req.params?.account;
    if (!this.limits.enabled || typeof segment !== 'string') return true;
    await this.admit(req, context.switchToHttp().getResponse<Response>(), segment, this.reflector.get<boolean>(TOKEN_CREATION, context.getHandler()) ?? false);
    return true;
  }

  /** Charges the request to its budgets, or throws 429: for every limited route, routed by Nest or by the hot path. */
  async admit(req: Request, res: Response, segment: string, tokenCreation: boolean): Promise<void> {
    if (!this.limits.enabled) return;
    const key = `${this.accountKey(segment, req, res)}:${addressKey(req.ip)}`;
    const budgets: Budget[] = [budgetOf(parseCredentials(req.headers.authorization))];
    if (tokenCreation) budgets.push('token-creation');
    const charges = await Promise.all(budgets.map((budget) => this.limits.charge(budget, key)));

    writeHeaders(res, charges);
    const refused = charges.filter((charge) => !charge.allowed);
    if (refused.length > 0) {
      const seconds = Math.max(1, Math.ceil((Math.max(...refused.map((charge) => charge.resetAt)) - Date.now()) / 1000));
      const what = refused.some((charge) => charge.budget === 'token-creation') ? 'token requests' : 'requests';
      throw new DomainError(429, 'RATE_LIMITED', `Too many ${what} from this address for this account; retry in ${seconds} s`, undefined, {
        'Retry-After': String(seconds),
      });
    }
    stateOf(req).rateLimit = {
      onErrorAnswer: (error, answer) => {
        if (!isFailedAuthentication(error)) return;
        for (const charge of charges) this.limits.penalize(charge);
        writeHeaders(answer, charges);
      },
    };
  }

  /** The account's id when this process has seen the segment resolve; learned from the auth guard. */
  private accountKey(segment: string, req: Request, res: Response): string {
    const known = this.aliases.idOf(segment);
    if (known) return known;
    res.once('finish', () => {
      const account = stateOf(req).account;
      if (account) this.aliases.learn(segment, account.id);
    });
    return UNRESOLVED_ACCOUNT;
  }
}

/**
 * Every limited answer reports the budget that binds: on a 429 the refusing one that frees up
 * last, otherwise the one with the fewest requests left.
 */
function writeHeaders(res: Response, charges: Charge[]): void {
  const refused = charges.filter((charge) => !charge.allowed);
  const shown =
    refused.length > 0
      ? refused.reduce((a, b) => (b.resetAt > a.resetAt ? b : a))
      : charges.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  res.setHeader('X-RateLimit-Limit', String(shown.limit));
  res.setHeader('X-RateLimit-Remaining', String(shown.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(shown.resetAt / 1000)));
}
