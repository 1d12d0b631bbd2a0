import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import type { RequestContext } from '../auth/decorators.js';
import type { Release } from '../database/entities/release.entity.js';
import { narrowReleases, visibleReleases, type ReleaseNarrowing } from '../releases/release-queries.js';
import type { VersionConstraint } from './upgrade-constraint.js';

/** What an upgrade is looked up for (SPEC §5 step 2). */
export interface UpgradeCriteria {
  current: Release;
  channels: string[];
  constraint: VersionConstraint | null;
}

/**
 * The candidates of SPEC §5, greatest first, as `r`: visible, PUBLISHED, same product and
 * package, channel in the set, strictly greater in version order, within the constraint. Every
 * condition is on stored columns, so PostgreSQL walks `releases_published_order_idx` backwards
 * from the top of the constraint's range and stops at the first row that passes the filters
 * (test/e2e/upgrade-plan.test.ts pins the plan).
 */
export function upgradeCandidates(manager: EntityManager, ctx: RequestContext, criteria: UpgradeCriteria): SelectQueryBuilder<Release> {
  const { current, channels, constraint } = criteria;
  const qb = visibleReleases(manager, ctx)
    .andWhere(`r.status = 'PUBLISHED'`)
    .andWhere('r.product_id = :upgradeProduct', { upgradeProduct: current.productId })
    .andWhere('r.channel IN (:...upgradeChannels)', { upgradeChannels: channels })
    .andWhere('r.sort_key > :upgradeCurrent', { upgradeCurrent: current.sortKey });
  if (current.packageId === null) qb.andWhere('r.package_id IS NULL');
  else qb.andWhere('r.package_id = :upgradePackage', { upgradePackage: current.packageId });
  if (constraint) constrain(qb, constraint);
  return qb.orderBy('r.sort_key', 'DESC');
}

/** The greatest candidate, or null. */
export function nextUpgrade(manager: EntityManager, ctx: RequestContext, criteria: UpgradeCriteria): Promise<Release | null> {
  return upgradeCandidates(manager, ctx, criteria).limit(1).getOne();
}

/**
 * The visible release with exactly this version (an updater knows its version, not a tag),
 * narrowed by product and package; among several, the oldest, as for `{version}` in paths.
 */
export function findVersion(manager: EntityManager, ctx: RequestContext, version: string, narrowing: ReleaseNarrowing): Promise<Release | null> {
  return narrowReleases(visibleReleases(manager, ctx), narrowing)
    .andWhere('r.version = :currentVersion', { currentVersion: version })
    .orderBy('r.created_at', 'ASC')
    .addOrderBy('r.id', 'ASC')
    .limit(1)
    .getOne();
}

function constrain(qb: SelectQueryBuilder<Release>, constraint: VersionConstraint): void {
  const ranges = constraint.ranges.map((range, index) => {
    const bounds: string[] = [];
    if (range.from !== undefined) {
      bounds.push(`r.sort_key >= :constraintFrom${index}`);
      qb.setParameter(`constraintFrom${index}`, range.from);
    }
    if (range.to !== undefined) {
      bounds.push(`r.sort_key < :constraintTo${index}`);
      qb.setParameter(`constraintTo${index}`, range.to);
    }
    return bounds.length ? `(${bounds.join(' AND ')})` : 'true';
  });
  qb.andWhere(ranges.length ? `(${ranges.join(' OR ')})` : 'false');
  // `1-beta` means pre-release identifiers beginning with `beta` (Keygen's form, SPEC §5).
  for (const part of ['prerelease', 'build'] as const) {
    const identifiers = constraint[part];
    if (identifiers === undefined) continue;
    qb.andWhere(`(r.semver_${part} = :${part}Identifiers OR starts_with(r.semver_${part}, :${part}Prefix))`, {
      [`${part}Identifiers`]: identifiers,
      [`${part}Prefix`]: `${identifiers}.`,
    });
  }
}
