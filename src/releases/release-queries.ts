import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { scopeVisibleReleases, type ReleaseScopeOptions } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { forWrite } from '../common/unique.js';
import { Release } from '../database/entities/release.entity.js';
import { normalizePypiName } from '../products/package-key.js';
import { CHANNEL_SETS, isChannel } from './version.js';

/** Narrowing a release lookup or list by product and package (ids, codes or keys). */
export interface ReleaseNarrowing {
  product?: string;
  /** '' means releases without a package (SPEC §3.4). */
  package?: string;
}

/** The bearer's visible releases of the account, as `r` (SPEC §4). */
export function visibleReleases(manager: EntityManager, ctx: RequestContext, scope?: ReleaseScopeOptions): SelectQueryBuilder<Release> {
  const qb = manager.getRepository(Release).createQueryBuilder('r').where('r.account_id = :account', { account: ctx.account.id });
  return scopeVisibleReleases(qb, 'r', ctx.bearer, scope);
}

export function narrowReleases<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, narrowing: ReleaseNarrowing, alias = 'r'): SelectQueryBuilder<T> {
  if (narrowing.product !== undefined) {
    qb.andWhere(
      `${alias}.product_id IN (SELECT np.id FROM products np WHERE np.account_id = ${alias}.account_id AND (np.id::text = :narrowProduct OR lower(np.code) = lower(:narrowProduct)))`,
      { narrowProduct: narrowing.product },
    );
  }
  if (narrowing.package === '') qb.andWhere(`${alias}.package_id IS NULL`);
  else if (narrowing.package !== undefined) {
    qb.andWhere(
      `${alias}.package_id IN (SELECT nk.id FROM packages nk WHERE nk.account_id = ${alias}.account_id
         AND (nk.id::text = :narrowPackage OR lower(nk.key) = lower(:narrowPackage) OR (nk.engine = 'pypi' AND nk.key = :narrowPackageNormalized)))`,
      { narrowPackage: narrowing.package, narrowPackageNormalized: normalizePypiName(narrowing.package) },
    );
  }
  return qb;
}

/**
 * Releases constrained by every one of the given entitlement codes (the `entitlements[]`
 * filter, SPEC §3.4), as one set-based condition: a release qualifies when the number of its
 * constraints whose code is among the (distinct, case-folded) codes equals the number of codes.
 * Never one subquery per value: each would add a join the planner has to order (SPEC §10).
 */
export function constrainedByAll<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, accountId: string, codes: string[], alias = 'r'): SelectQueryBuilder<T> {
  const wanted = [...new Set(codes.map((code) => code.toLowerCase()))];
  if (wanted.length === 0) return qb;
  return qb.andWhere(
    `${alias}.id IN (SELECT fc.release_id FROM release_constraints fc JOIN entitlements fe ON fe.id = fc.entitlement_id
       WHERE fe.account_id = :constraintAccount AND lower(fe.code) = ANY(:constraintCodes::text[])
       GROUP BY fc.release_id HAVING count(*) = :constraintCodeCount)`,
    { constraintAccount: accountId, constraintCodes: wanted, constraintCodeCount: wanted.length },
  );
}

/** `channel` filters take a channel and mean its channel set (SPEC §5); anything else is a 400. */
export function channelSet(channel: string, parameter = 'channel'): string[] {
  if (!isChannel(channel)) throw Errors.badParameter(parameter, 'channel must be one of stable, rc, beta, alpha, dev');
  return CHANNEL_SETS[channel];
}

/**
 * A release by id, version or tag among the visible ones; several matches (other products or
 * packages) are narrowed by product and package, and the oldest remaining one wins.
 */
export async function findRelease(
  manager: EntityManager,
  ctx: RequestContext,
  ref: string,
  narrowing: ReleaseNarrowing = {},
): Promise<Release | null> {
  const qb = forWrite(narrowReleases(visibleReleases(manager, ctx), narrowing), manager, 'r');
  if (isUuid(ref)) qb.andWhere('r.id = :ref', { ref });
  else qb.andWhere('(r.version = :ref OR r.tag = :ref)', { ref });
  return qb.orderBy('r.created_at', 'ASC').addOrderBy('r.id', 'ASC').limit(1).getOne();
}

/** `?product=` and `?package=` on single-release routes; any other parameter is a 400. */
export function parseNarrowing(query: Record<string, unknown>): ReleaseNarrowing {
  const narrowing: ReleaseNarrowing = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (key !== 'product' && key !== 'package') throw Errors.badParameter(key, `${key} is not a supported parameter here`, 'PARAMETER_UNPERMITTED');
    if (typeof value !== 'string') throw Errors.badParameter(key, `${key} takes a single value`);
    narrowing[key] = value;
  }
  return narrowing;
}

/**
 * Locks a release row against concurrent changes until the transaction ends (deletes take it
 * before reading the release's files); false when the release no longer exists.
 */
export async function lockRelease(manager: EntityManager, releaseId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query('SELECT 1 FROM releases WHERE id = $1 FOR UPDATE', [releaseId]);
  return rows.length > 0;
}

/** The visible release of exactly that version in a package (engine routes name versions, not tags). */
export function findPackageVersion(manager: EntityManager, ctx: RequestContext, packageId: string, version: string): Promise<Release | null> {
  return visibleReleases(manager, ctx).andWhere('r.package_id = :versionPackage AND r.version = :exactVersion', { versionPackage: packageId, exactVersion: version }).getOne();
}
