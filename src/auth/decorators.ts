import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { ChangeSerials } from '../database/change-serials.js';
import { stateOf } from '../common/request-context.js';
import type { Account } from '../database/entities/account.entity.js';
import type { Bearer, BearerKind } from './bearer.js';

export const PUBLIC_ROUTE = 'keyshelf:public';
export const ALLOWED_BEARERS = 'keyshelf:allowed-bearers';
export const PASSWORD_LOGIN = 'keyshelf:password-login';

/** Anonymous callers may use this route (reads of the distribution API, SPEC §1.5). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The coarse permission of a route: which bearer kinds may call it at all. Others get 404 on a
 * read and 403 on a write, before any body is read (SPEC §4). Every create route declares it.
 */
export const Allow = (...kinds: BearerKind[]) => SetMetadata(ALLOWED_BEARERS, kinds);

/** Basic email:password is accepted here (only POST /tokens, SPEC §1.5). */
export const AcceptsPassword = () => SetMetadata(PASSWORD_LOGIN, true);

/** Everything a service needs to know about the caller. */
export interface RequestContext {
  account: Account;
  bearer: Bearer;
  requestId: string;
  /** The account's change serials as read for this request (absent outside HTTP requests). */
  serials?: ChangeSerials;
}

export const Ctx = createParamDecorator((_: unknown, context: ExecutionContext): RequestContext => {
  const state = stateOf(context.switchToHttp().getRequest<Request>());
  if (!state.account || !state.bearer) throw new Error('Ctx used on a route without an account');
  return { account: state.account, bearer: state.bearer, requestId: state.requestId, serials: state.serials };
});
