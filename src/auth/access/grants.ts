import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Bearer } from '../bearer.js';

/**
 * The licenses through which a license or a customer reads (SPEC §4), as a SQL subquery with
 * columns license_id, product_id, expiry (the window's end, null = none) — or null for bearers
 * that read without a license. Suspended licenses and expired ones under REVOKE_ACCESS grant
 * nothing; this is the SQL twin of `licenseDenial` and `licenseWindowEnd`.
 */
export function licenseGrants<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, bearer: Bearer): string | null {
  let owner: string;
  if (bearer.kind === 'license') {
    qb.setParameter('grantLicense', bearer.license.id);
    owner = 'gl.id = :grantLicense';
  } else if (bearer.kind === 'user' && bearer.role === 'user') {
    qb.setParameter('grantUser', bearer.user.id);
    owner = 'gl.user_id = :grantUser';
  } else {
    return null;
  }
  return `SELECT gl.id AS license_id, gl.product_id,
            CASE WHEN gp.expiration_strategy = 'ALLOW_ACCESS' THEN NULL ELSE gl.expiry END AS window_end
          FROM licenses gl JOIN policies gp ON gp.id = gl.policy_id
          WHERE ${owner} AND NOT gl.suspended
            AND NOT (gp.expiration_strategy = 'REVOKE_ACCESS' AND gl.expiry IS NOT NULL AND gl.expiry <= now())`;
}

/** Licenses a bearer may read as records: staff all, a product its own, a license itself, a customer theirs. */
export function ownedLicenseCondition<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, bearer: Bearer): string | null {
  switch (bearer.kind) {
    case 'license':
      qb.setParameter('selfLicense', bearer.license.id);
      return `${alias}.id = :selfLicense`;
    case 'product':
      qb.setParameter('selfProduct', bearer.product.id);
      return `${alias}.product_id = :selfProduct`;
    case 'user':
      if (bearer.role !== 'user') return null;
      qb.setParameter('selfUser', bearer.user.id);
      return `${alias}.user_id = :selfUser`;
    case 'anonymous':
      return 'false';
  }
}
