import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Errors } from '../../common/errors.js';
import { Product } from '../../database/entities/product.entity.js';
import { Release } from '../../database/entities/release.entity.js';
import { bearerKind, isStaff, type Bearer } from '../bearer.js';
import { canWriteWithin } from './catalog.access.js';
import { licenseGrants } from './grants.js';

export interface ReleaseScopeOptions {
  /**
   * The name of a CTE made by `grantsOnce` for this bearer (or its null answer), read instead of
   * the grants subquery: for a query that checks many releases, the bearer's licenses are then
   * read once rather than once per release.
   */
  grants?: string | null;
}

/**
 * The bearer's grants (`licenseGrants`) as a materialized CTE `name` of `qb`, for
 * `scopeVisibleReleases(…, { grants })`: its name, or null for a bearer that reads without a
 * license. The rules stay those of `scopeVisibleReleases`; only where the grants are read changes.
 */
export function grantsOnce<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, bearer: Bearer, name: string): string | null {
  const grants = licenseGrants(qb, bearer);
  if (!grants) return null;
  qb.addCommonTableExpression(grants, name, { materialized: true });
  return name;
}

/**
 * Who sees which releases (SPEC §4's table), as one SQL condition:
 * (B) PUBLISHED releases of OPEN products without constraints, for everyone;
 * a product token: every release of its product;
 * (A) for a license or a customer, through each usable license: PUBLISHED releases of its
 * LICENSED or OPEN product, inside the expiry window, whose every constraint the license holds
 * (its own entitlements ∪ its policy's).
 */
export function scopeVisibleReleases<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer, scope: ReleaseScopeOptions = {}): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  const product = `${alias}_product`;
  qb.innerJoin(Product, product, `${product}.id = ${alias}.product_id`);
  const unconstrained = `NOT EXISTS (SELECT 1 FROM release_constraints rc WHERE rc.release_id = ${alias}.id)`;
  const open = `(${alias}.status = 'PUBLISHED' AND ${product}.distribution_strategy = 'OPEN' AND ${unconstrained})`;
  if (bearer.kind === 'product') {
    return qb.andWhere(`(${alias}.product_id = :releaseOwnProduct OR ${open})`, { releaseOwnProduct: bearer.product.id });
  }
  const grants = scope.grants !== undefined ? scope.grants : licenseGrants(qb, bearer);
  if (!grants) return qb.andWhere(open);
  const licensed = `EXISTS (
    SELECT 1 FROM ${scope.grants ? grants : `(${grants})`} g
    WHERE g.product_id = ${alias}.product_id
      AND ${product}.distribution_strategy IN ('LICENSED', 'OPEN')
      AND ${alias}.status = 'PUBLISHED'
      AND (g.window_end IS NULL OR COALESCE(${alias}.backdated, ${alias}.created_at) <= g.window_end)
      AND NOT EXISTS (
        SELECT 1 FROM release_constraints rc
        WHERE rc.release_id = ${alias}.id AND rc.entitlement_id NOT IN (
          SELECT le.entitlement_id FROM license_entitlements le WHERE le.license_id = g.license_id
          UNION SELECT pe.entitlement_id FROM policy_entitlements pe JOIN licenses pl ON pl.policy_id = pe.policy_id WHERE pl.id = g.license_id)))`;
  return qb.andWhere(`(${licensed} OR ${open})`);
}

/**
 * Artifacts follow their release; non-staff bearers also need the artifact UPLOADED, except
 * the owning product's token, which sees its own artifacts' documents (SPEC §3.5, §4).
 */
export function scopeVisibleArtifacts<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer, scope: ReleaseScopeOptions = {}): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  const release = `${alias}_release`;
  qb.innerJoin(Release, release, `${release}.id = ${alias}.release_id`);
  scopeVisibleReleases(qb, release, bearer, scope);
  return scopeArtifactsOfVisibleReleases(qb, alias, release, bearer);
}

/**
 * The artifact half of the rules alone, for a query that reads from releases the bearer sees
 * (scoped by `scopeVisibleReleases`, with their `id` and `product_id` as `release`) and joins
 * their artifacts as `alias`. Such a query starts from the few releases it names, so that its
 * plan does not depend on how many releases and files the rest of the account holds.
 */
export function scopeArtifactsOfVisibleReleases<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, release: string, bearer: Bearer): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  if (bearer.kind === 'product') {
    return qb.andWhere(`(${alias}.status = 'UPLOADED' OR ${release}.product_id = :artifactOwnProduct)`, { artifactOwnProduct: bearer.product.id });
  }
  return qb.andWhere(`${alias}.status = 'UPLOADED'`);
}

export const ReleaseRules = {
  /** Releases and artifacts are written by admins, developers and the product's token. */
  assertWrite(bearer: Bearer, productId: string, what: string): void {
    if (!canWriteWithin(bearer, productId)) throw Errors.forbidden(`A ${bearerKind(bearer)} bearer may not ${what}`);
  },
};
