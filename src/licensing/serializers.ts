import { licenseStatus } from '../auth/license-check.js';
import { accountPath, resource, timestamp, toMany, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { Entitlement } from '../database/entities/entitlement.entity.js';
import type { License } from '../database/entities/license.entity.js';
import type { Policy } from '../database/entities/policy.entity.js';
import { AUTHENTICATION_STRATEGIES, EXPIRATION_STRATEGIES } from '../database/entities/policy.entity.js';
import { boolean, integer, metadata, nullable, oneOf, string, dateTime, toMany as toManyShape, toOne as toOneShape, type ResourceShape } from '../openapi/schema.js';

export function serializeEntitlement(entitlement: Entitlement): ResourceObject {
  return resource(entitlement.accountId, 'entitlements', entitlement.id, {
    name: entitlement.name,
    code: entitlement.code,
    metadata: entitlement.metadata,
    created: timestamp(entitlement.createdAt),
    updated: timestamp(entitlement.updatedAt),
  });
}

export function serializePolicy(policy: Policy): ResourceObject {
  const base = accountPath(policy.accountId);
  return resource(
    policy.accountId,
    'policies',
    policy.id,
    {
      name: policy.name,
      duration: policy.duration,
      expirationStrategy: policy.expirationStrategy,
      authenticationStrategy: policy.authenticationStrategy,
      metadata: policy.metadata,
      created: timestamp(policy.createdAt),
      updated: timestamp(policy.updatedAt),
    },
    {
      product: toOne('products', policy.productId, `${base}/products/${policy.productId}`),
      entitlements: toMany(`${base}/policies/${policy.id}/entitlements`),
      licenses: toMany(`${base}/licenses?policy=${policy.id}`),
    },
  );
}

/** `key` is given only in the create response: it is stored as a digest (SPEC §1.5). */
export function serializeLicense(license: License, key?: string): ResourceObject {
  const base = accountPath(license.accountId);
  return resource(
    license.accountId,
    'licenses',
    license.id,
    {
      name: license.name,
      ...(key ? { key } : {}),
      expiry: timestamp(license.expiry),
      status: licenseStatus(license),
      suspended: license.suspended,
      metadata: license.metadata,
      created: timestamp(license.createdAt),
      updated: timestamp(license.updatedAt),
    },
    {
      policy: toOne('policies', license.policyId, `${base}/policies/${license.policyId}`),
      product: toOne('products', license.productId, `${base}/products/${license.productId}`),
      user: toOne('users', license.userId, license.userId ? `${base}/users/${license.userId}` : `${base}/licenses/${license.id}/user`),
      entitlements: toMany(`${base}/licenses/${license.id}/entitlements`),
    },
  );
}

export const ENTITLEMENT_SHAPE: ResourceShape = {
  type: 'entitlements',
  name: 'Entitlement',
  description: 'A right a license may hold and a release may require',
  attributes: {
    name: string({ examples: ['Pro features'] }),
    code: string({ description: 'Unique per account, case-insensitive', examples: ['pro'] }),
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
};

export const POLICY_SHAPE: ResourceShape = {
  type: 'policies',
  name: 'Policy',
  description: 'The rules of a product’s licenses',
  attributes: {
    name: string({ examples: ['Yearly'] }),
    duration: nullable(integer({ minimum: 1, description: 'Seconds; null: licenses do not expire', examples: [31536000] })),
    expirationStrategy: oneOf(EXPIRATION_STRATEGIES, { examples: ['RESTRICT_ACCESS'] }),
    authenticationStrategy: oneOf(AUTHENTICATION_STRATEGIES, { examples: ['MIXED'] }),
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
  relationships: { product: toOneShape('products'), entitlements: toManyShape(), licenses: toManyShape() },
};

export const LICENSE_SHAPE: ResourceShape = {
  type: 'licenses',
  name: 'License',
  description: 'A license; its key is shown once, in the create response',
  attributes: {
    name: nullable(string({ examples: ['Customer 42'] })),
    key: string({ description: 'Only in the create response', examples: ['K3Y-0000-0000-0000'] }),
    expiry: nullable(dateTime()),
    status: oneOf(['ACTIVE', 'EXPIRING', 'EXPIRED', 'SUSPENDED'], { description: 'Read-only' }),
    suspended: boolean(),
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
  optionalAttributes: ['key'],
  relationships: {
    policy: toOneShape('policies'),
    product: toOneShape('products'),
    user: toOneShape('users', { nullable: true }),
    entitlements: toManyShape(),
  },
};
