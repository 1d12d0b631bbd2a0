import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import { mayWrite } from '../common/coherence-window.js';
import { DomainError, Errors } from '../common/errors.js';
import { stateOf } from '../common/request-context.js';
import { Authenticator } from './authenticator.service.js';
import { bearerKind, type BearerKind } from './bearer.js';
import { parseCredentials } from './credentials.js';
import { ALLOWED_BEARERS, PASSWORD_LOGIN, PUBLIC_ROUTE } from './decorators.js';

/**
 * The global guard: every route under /v1/accounts/{account} is closed unless marked public.
 * It resolves the account, authenticates the credentials (bad credentials always fail, even
 * where anonymous access is allowed) and checks the route's coarse permission.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountsRepository,
    private readonly authenticator: Authenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const accountParam = req.params?.account;
    if (typeof accountParam !== 'string') return true; // health, docs: not account-scoped
    const meta = <T>(key: string) => this.reflector.getAllAndOverride<T>(key, [context.getHandler(), context.getClass()]);
    await this.admit(req, accountParam, { public: meta<boolean>(PUBLIC_ROUTE) ?? false, allowed: meta<BearerKind[]>(ALLOWED_BEARERS), passwordLogin: meta<boolean>(PASSWORD_LOGIN) ?? false });
    return true;
  }

  /**
   * Resolves the account and the bearer into the request's state, or throws: what every route
   * under /v1/accounts/{account} goes through, whether Nest routed it or the hot path took it.
   */
  async admit(req: Request, accountParam: string, route: RouteAccess): Promise<void> {
    const state = stateOf(req);
    const found = await this.accounts.findWithSerials(accountParam, { shareRecent: !mayWrite(req) });
    if (!found) throw Errors.notFound('account');
    const { account, serials } = found;
    state.account = account;
    state.serials = serials;

    const credentials = parseCredentials(req.headers.authorization);
    if (credentials.scheme === 'password' && route.passwordLogin) {
      state.passwordLogin = { email: credentials.email, password: credentials.password };
      return; // the route's own guard verifies the password
    }
    const bearer = await this.authenticator.authenticate(account, credentials, serials);
    state.bearer = bearer;
    if (bearer.kind === 'anonymous') {
      if (route.public) return;
      throw new DomainError(401, 'TOKEN_MISSING', 'Authentication is required: send a token');
    }
    // SPEC §4: a read answers 200 or 404, never 403; a write this kind of bearer may never do is
    // a 403 here, before the body is read, so that no answer tells it which related records exist.
    const allowed = route.allowed;
    if (allowed && !allowed.includes(bearerKind(bearer))) {
      if (req.method === 'GET' || req.method === 'HEAD') throw Errors.notFound();
      throw Errors.forbidden(`A ${bearerKind(bearer)} bearer may not do this`);
    }
  }
}

/** What a route declares about its callers (see decorators.ts). */
export interface RouteAccess {
  public: boolean;
  allowed?: BearerKind[];
  passwordLogin?: boolean;
}
