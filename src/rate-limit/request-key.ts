import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import type { Credentials } from '../auth/credentials.js';
import { claimedTokenKind } from '../auth/secrets.js';

/**
 * What a request is counted by, read from the request alone so that the limiter runs before
 * any database query (SPEC §8.4): the account segment of the path, the client address and
 * the budget its credentials claim.
 */
export type Budget = 'standard' | 'staff' | 'token-creation';

const STAFF_KINDS = new Set(['admin', 'developer', 'read-only', 'product']);

/**
 * Staff and product tokens get the larger budget; license keys, license and customer tokens,
 * passwords and anonymous callers the standard one. The class is the one the token's prefix
 * claims: a forged `admin_` prefix earns the larger budget only for answers that fail and
 * count double (docs/decisions.md).
 */
export function budgetOf(credentials: Credentials): Budget {
  if (credentials.scheme !== 'token') return 'standard';
  const kind = claimedTokenKind(credentials.token);
  return kind !== null && STAFF_KINDS.has(kind) ? 'staff' : 'standard';
}

/**
 * The client address as a counter key: IPv4 as is (also IPv4-mapped IPv6), IPv6 by its /64,
 * since one subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
export function addressKey(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const network = [...parsed.toByteArray().slice(0, 8), 0, 0, 0, 0, 0, 0, 0, 0];
  return `${ipaddr.fromByteArray(network).toString()}/64`;
}

/** Requests whose account segment this process has not yet seen resolve share this key. */
export const UNRESOLVED_ACCOUNT = 'unresolved';

/**
 * The account ids that path segments (a slug or a UUID, SPEC §1.1) resolved to, learned from
 * the auth guard's own lookup, so that an account's slug and id draw on one budget without a
 * query of the limiter's own. Slugs never change (no route updates them), so an entry cannot go
 * stale; the cache is bounded. A segment not seen yet counts under UNRESOLVED_ACCOUNT: made-up
 * slugs or ids then share one budget per address instead of opening a new one each.
 */
export class AccountAliases {
  private readonly known = new LRUCache<string, string>({ max: 10_000 });

  idOf(segment: string): string | undefined {
    return this.known.get(segment.toLowerCase());
  }

  learn(segment: string, accountId: string): void {
    this.known.set(segment.toLowerCase(), accountId);
  }
}
