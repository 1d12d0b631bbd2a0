import { accountPath, resource, timestamp, toMany, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { ReleaseConstraint } from '../database/entities/release-constraint.entity.js';
import type { Release } from '../database/entities/release.entity.js';
import { RELEASE_STATUSES } from '../database/entities/release.entity.js';
import { integer, metadata, nullable, oneOf, string, dateTime, toMany as toManyShape, toOne as toOneShape, type ResourceShape } from '../openapi/schema.js';
import { CHANNELS } from './version.js';

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

export const RELEASE_SHAPE: ResourceShape = {
  type: 'releases',
  name: 'Release',
  description: 'A release of a product, optionally of one of its packages (SPEC §3.4)',
  attributes: {
    version: string({ description: 'SemVer 2.0.0, immutable', examples: ['1.0.0'] }),
    channel: oneOf(CHANNELS, { description: 'Immutable', examples: ['stable'] }),
    status: oneOf(RELEASE_STATUSES, { description: 'Changed by the publish and yank actions' }),
    tag: nullable(string({ examples: ['latest'] })),
    name: nullable(string({ examples: ['First release'] })),
    description: nullable(string({ description: 'Tauri sends it as the notes' })),
    backdated: nullable(dateTime()),
    yanked: nullable(dateTime({ description: 'Read-only: when the release was yanked' })),
    semver: {
      type: 'object',
      description: 'Read-only: the parsed version',
      required: ['major', 'minor', 'patch', 'prerelease', 'build'],
      additionalProperties: false,
      properties: {
        major: integer({ minimum: 0 }),
        minor: integer({ minimum: 0 }),
        patch: integer({ minimum: 0 }),
        prerelease: nullable(string()),
        build: nullable(string()),
      },
    },
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
  relationships: {
    product: toOneShape('products'),
    package: toOneShape('packages', { nullable: true }),
    constraints: toManyShape(),
    entitlements: toManyShape(),
    artifacts: toManyShape(),
  },
};

export const CONSTRAINT_SHAPE: ResourceShape = {
  type: 'constraints',
  name: 'Constraint',
  description: 'An entitlement a release requires',
  attributes: { created: dateTime(), updated: dateTime() },
  relationships: { entitlement: toOneShape('entitlements'), release: toOneShape('releases') },
};
