import { accountPath, resource, timestamp, toMany, type ResourceObject } from '../common/jsonapi.js';
import type { Product } from '../database/entities/product.entity.js';

export function serializeProduct(product: Product): ResourceObject {
  const base = accountPath(product.accountId);
  return resource(
    product.accountId,
    'products',
    product.id,
    {
      name: product.name,
      code: product.code,
      distributionStrategy: product.distributionStrategy,
      url: product.url,
      metadata: product.metadata,
      created: timestamp(product.createdAt),
      updated: timestamp(product.updatedAt),
    },
    {
      packages: toMany(`${base}/packages?product=${product.id}`),
      policies: toMany(`${base}/policies?product=${product.id}`),
      licenses: toMany(`${base}/licenses?product=${product.id}`),
    },
  );
}
