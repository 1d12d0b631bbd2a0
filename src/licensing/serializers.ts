import { licenseStatus } from '../auth/license-check.js';
import { accountPath, resource, timestamp, toMany, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { Entitlement } from '../database/entities/entitlement.entity.js';
import type { License } from '../database/entities/license.entity.js';
import type { Policy } from '../database/entities/policy.entity.js';

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
