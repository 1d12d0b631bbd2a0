import { accountPath, resource, timestamp, toOne, type ResourceObject } from '../common/jsonapi.js';
import type { Package } from '../database/entities/package.entity.js';

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
