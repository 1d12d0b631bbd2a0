import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Errors } from '../../common/errors.js';
import { bearerKind, type BearerKind, isEditor, isStaff, type Bearer } from '../bearer.js';
import { canWriteWithin } from './catalog.access.js';
import { ownedLicenseCondition } from './grants.js';

/**
 * Licensing records (SPEC §4): admins and developers write; product tokens read and manage
 * the policies and licenses of their own product; a license reads itself and its
 * entitlements; a customer reads the licenses it owns and their entitlements.
 */
export function scopeVisibleLicenses<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  const condition = ownedLicenseCondition(qb, alias, bearer);
  return condition ? qb.andWhere(condition) : qb;
}

/** Bearer kinds that may ever manage policies and licenses (SPEC §4). */
export const LICENSING_MANAGERS: readonly BearerKind[] = ['admin', 'developer', 'product'];

/**
 * Staff see every policy; a product token its product's; a license its own policy, and a
 * customer the policies of the licenses it owns (Keygen's clients read their license's policy).
 */
export function scopeVisiblePolicies<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  if (bearer.kind === 'product') return qb.andWhere(`${alias}.product_id = :policyProduct`, { policyProduct: bearer.product.id });
  const condition = ownedLicenseCondition(qb, 'pl', bearer) ?? 'false';
  return qb.andWhere(`${alias}.id IN (SELECT pl.policy_id FROM licenses pl WHERE ${condition})`);
}

/** Staff and product tokens see every entitlement; licenses and customers those they hold. */
export function scopeVisibleEntitlements<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer): SelectQueryBuilder<T> {
  if (isStaff(bearer) || bearer.kind === 'product') return qb;
  const condition = ownedLicenseCondition(qb, 'hl', bearer) ?? 'false';
  return qb.andWhere(
    `${alias}.id IN (
      SELECT le.entitlement_id FROM license_entitlements le JOIN licenses hl ON hl.id = le.license_id WHERE ${condition}
      UNION
      SELECT pe.entitlement_id FROM policy_entitlements pe JOIN licenses hl ON hl.policy_id = pe.policy_id WHERE ${condition})`,
  );
}

const denied = (what: string, bearer: Bearer) => Errors.forbidden(`A ${bearerKind(bearer)} bearer may not ${what}`);

export const LicensingRules = {
  assertWriteEntitlements(bearer: Bearer): void {
    if (!isEditor(bearer)) throw denied('change entitlements', bearer);
  },
  /** Policies and licenses of a product: editors, or that product's token. */
  assertManage(bearer: Bearer, productId: string, what: string): void {
    if (!canWriteWithin(bearer, productId)) throw denied(what, bearer);
  },
};
