import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Errors } from '../../common/errors.js';
import type { Package } from '../../database/entities/package.entity.js';
import { Product } from '../../database/entities/product.entity.js';
import { bearerKind, type BearerKind, isEditor, isStaff, type Bearer } from '../bearer.js';
import { licenseGrants } from './grants.js';

/**
 * Who sees which products (SPEC §3.1, §4): staff all; a product token its own and OPEN ones;
 * licenses and customers their licenses' LICENSED products and OPEN ones; anonymous callers
 * OPEN ones. CLOSED products are visible to staff and their own product token only.
 */
export function scopeVisibleProducts<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  const open = `${alias}.distribution_strategy = 'OPEN'`;
  if (bearer.kind === 'product') {
    return qb.andWhere(`(${alias}.id = :ownProduct OR ${open})`, { ownProduct: bearer.product.id });
  }
  const grants = licenseGrants(qb, bearer);
  if (!grants) return qb.andWhere(open);
  return qb.andWhere(
    `(${open} OR (${alias}.distribution_strategy = 'LICENSED' AND ${alias}.id IN (SELECT g.product_id FROM (${grants}) g)))`,
  );
}

/** Packages are visible exactly when their product is (SPEC §4: packages follow products). */
export function scopeVisiblePackages<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer): SelectQueryBuilder<T> {
  if (isStaff(bearer)) return qb;
  qb.innerJoin(Product, 'visible_product', `visible_product.id = ${alias}.product_id`);
  return scopeVisibleProducts(qb, 'visible_product', bearer);
}

/** Bearer kinds that may create products and entitlements: admins and developers (SPEC §3.1, §3.6). */
export const EDITORS: readonly BearerKind[] = ['admin', 'developer'];

/** Bearer kinds that may ever write a product's packages, releases and artifacts (SPEC §4). */
export const CATALOG_WRITERS: readonly BearerKind[] = ['admin', 'developer', 'product'];

/** Writers of a product's catalog: admins, developers and that product's token (SPEC §4). */
export function canWriteWithin(bearer: Bearer, productId: string): boolean {
  return isEditor(bearer) || (bearer.kind === 'product' && bearer.product.id === productId);
}

const denied = (what: string, bearer: Bearer) => Errors.forbidden(`A ${bearerKind(bearer)} bearer may not ${what}`);

export const ProductRules = {
  assertCreate(bearer: Bearer): void {
    if (!isEditor(bearer)) throw denied('create products', bearer);
  },
  /** A product token may update its own product, not delete it (SPEC §3.1). */
  assertUpdate(bearer: Bearer, product: Product): void {
    if (!canWriteWithin(bearer, product.id)) throw denied('change this product', bearer);
  },
  assertDelete(bearer: Bearer): void {
    if (!isEditor(bearer)) throw denied('delete products', bearer);
  },
  assertCreateToken(bearer: Bearer): void {
    if (!isEditor(bearer)) throw denied('create product tokens', bearer);
  },
};

export const PackageRules = {
  assertWrite(bearer: Bearer, pkg: Pick<Package, 'productId'>): void {
    if (!canWriteWithin(bearer, pkg.productId)) throw denied("write this product's packages", bearer);
  },
};
