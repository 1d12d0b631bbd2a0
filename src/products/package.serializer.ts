import { accountPath, resource, timestamp, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { Package } from '../database/entities/package.entity.js';
import { ENGINE_KEYS } from '../database/entities/package.entity.js';
import { metadata, nullable, oneOf, string, dateTime, toOne as toOneShape, type ResourceShape } from '../openapi/schema.js';

export function serializePackage(pkg: Package): ResourceObject {
  const base = accountPath(pkg.accountId);
  return resource(
    pkg.accountId,
    'packages',
    pkg.id,
    {
      name: pkg.name,
      key: pkg.key,
      engine: pkg.engine,
      metadata: pkg.metadata,
      created: timestamp(pkg.createdAt),
      updated: timestamp(pkg.updatedAt),
    },
    { product: toOne('products', pkg.productId, `${base}/products/${pkg.productId}`) },
  );
}

export const PACKAGE_SHAPE: ResourceShape = {
  type: 'packages',
  name: 'Package',
  description: 'A package of a product (SPEC §3.2)',
  attributes: {
    name: string({ examples: ['app'] }),
    key: string({ description: 'Unique per account, case-insensitive; PEP 503 normalized for pypi', examples: ['app'] }),
    engine: nullable(oneOf(ENGINE_KEYS, { examples: ['pypi'] })),
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
  relationships: { product: toOneShape('products') },
};
