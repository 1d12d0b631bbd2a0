import type { License } from '../database/entities/license.entity.js';
import type { Policy } from '../database/entities/policy.entity.js';
import type { Product } from '../database/entities/product.entity.js';
import type { Token } from '../database/entities/token.entity.js';
import type { User, UserRole } from '../database/entities/user.entity.js';

/** Who is making the request, once credentials are resolved (SPEC §2). */
export type Bearer = UserBearer | ProductBearer | LicenseBearer | AnonymousBearer;

export interface UserBearer {
  kind: 'user';
  user: User;
  /** The user's current role; a token never grants more than its user has now. */
  role: UserRole;
  /** The token used, or null for email:password. */
  token: Token | null;
}

export interface ProductBearer {
  kind: 'product';
  product: Product;
  token: Token;
}

export interface LicenseBearer {
  kind: 'license';
  license: License;
  policy: Policy;
  /** The license token used, or null when the key itself was sent. */
  token: Token | null;
}

export interface AnonymousBearer {
  kind: 'anonymous';
}

export const ANONYMOUS: AnonymousBearer = { kind: 'anonymous' };

export type BearerKind = 'admin' | 'developer' | 'read-only' | 'user' | 'product' | 'license' | 'anonymous';

/** The coarse kind a route's permission list is written in. */
export function bearerKind(bearer: Bearer): BearerKind {
  return bearer.kind === 'user' ? bearer.role : bearer.kind;
}

export const STAFF: readonly BearerKind[] = ['admin', 'developer', 'read-only'];
/** Users of every role: only they create tokens of their own (SPEC §3.6). */
export const USER_KINDS: readonly BearerKind[] = [...STAFF, 'user'];

export function isStaff(bearer: Bearer): boolean {
  return STAFF.includes(bearerKind(bearer));
}

export function isAdmin(bearer: Bearer): boolean {
  return bearerKind(bearer) === 'admin';
}

/** Admins and developers write everything but users; product tokens write within their product. */
export function isEditor(bearer: Bearer): boolean {
  const kind = bearerKind(bearer);
  return kind === 'admin' || kind === 'developer';
}

/** The bearer as a JSON:API linkage (event log, token relationships). */
export function bearerReference(bearer: Bearer): { type: string; id: string } | null {
  switch (bearer.kind) {
    case 'user':
      return { type: 'users', id: bearer.user.id };
    case 'product':
      return { type: 'products', id: bearer.product.id };
    case 'license':
      return { type: 'licenses', id: bearer.license.id };
    case 'anonymous':
      return null;
  }
}
