import type { RequestContext } from '../decorators.js';

/**
 * Whom a cached read answer may be served to again, or null when nothing may be cached for this
 * bearer: answers depend on what a bearer sees (SPEC §4), which is the same for every staff
 * member, and otherwise fixed for one product token, one license, or all anonymous callers, as
 * long as the account's change serials stay (they move with every write to credentials,
 * licenses, policies, entitlements, products and the catalog). A customer's view depends on the
 * clock (one of their licenses may expire under REVOKE_ACCESS at any moment), so it is never
 * cached.
 */
export function answerScope(ctx: RequestContext): string | null {
  const bearer = ctx.bearer;
  switch (bearer.kind) {
    case 'user':
      return bearer.role === 'user' ? null : `${ctx.account.id}|staff`;
    case 'product':
      return `${ctx.account.id}|product:${bearer.product.id}`;
    case 'license':
      // The license's own check ran when it was authenticated, on this request's clock.
      return `${ctx.account.id}|license:${bearer.license.id}`;
    case 'anonymous':
      return `${ctx.account.id}|anonymous`;
  }
}

/** The serial string under which an answer computed from the whole account's data stays true. */
export function accountSerial(ctx: RequestContext): string | null {
  return ctx.serials ? `${ctx.serials.auth}:${ctx.serials.catalog}` : null;
}
