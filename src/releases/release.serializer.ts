import { accountPath, resource, timestamp, toMany, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { ReleaseConstraint } from '../database/entities/release-constraint.entity.js';
import type { Release } from '../database/entities/release.entity.js';

export function serializeRelease(release: Release): ResourceObject {
  const base = accountPath(release.accountId);
  const self = `${base}/releases/${release.id}`;
  return resource(
    release.accountId,
    'releases',
    release.id,
    {
      version: release.version,
      channel: release.channel,
      status: release.status,
      tag: release.tag,
      name: release.name,
      description: release.description,
      backdated: timestamp(release.backdated),
      yanked: timestamp(release.yankedAt),
      semver: {
        major: Number(release.semverMajor),
        minor: Number(release.semverMinor),
        patch: Number(release.semverPatch),
        prerelease: release.semverPrerelease,
        build: release.semverBuild,
      },
      metadata: release.metadata,
      created: timestamp(release.createdAt),
      updated: timestamp(release.updatedAt),
    },
    {
      product: toOne('products', release.productId, `${base}/products/${release.productId}`),
      package: toOne('packages', release.packageId, release.packageId ? `${base}/packages/${release.packageId}` : `${self}/package`),
      constraints: toMany(`${self}/constraints`),
      entitlements: toMany(`${self}/entitlements`),
      artifacts: toMany(`${self}/artifacts`),
    },
  );
}

export function serializeConstraint(constraint: ReleaseConstraint): ResourceObject {
  const base = accountPath(constraint.accountId);
  return {
    id: constraint.id,
    type: 'constraints',
    attributes: { created: timestamp(constraint.createdAt), updated: timestamp(constraint.updatedAt) },
    relationships: {
      entitlement: toOne('entitlements', constraint.entitlementId, `${base}/entitlements/${constraint.entitlementId}`),
      release: toOne('releases', constraint.releaseId, `${base}/releases/${constraint.releaseId}`),
    },
    links: { self: `${base}/releases/${constraint.releaseId}/constraints/${constraint.id}` },
  };
}
