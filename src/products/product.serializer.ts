import { accountPath, resource, timestamp, toMany, type ResourceObject } from '../common/jsonapi.js';
import type { Product } from '../database/entities/product.entity.js';
import { DISTRIBUTION_STRATEGIES } from '../database/entities/product.entity.js';
import { metadata, nullable, oneOf, string, dateTime, toMany as toManyShape, type ResourceShape } from '../openapi/schema.js';

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

export const PRODUCT_SHAPE: ResourceShape = {
  type: 'products',
  name: 'Product',
  description: 'A product (SPEC §3.1)',
  attributes: {
    name: string({ examples: ['App'] }),
    code: nullable(string({ description: 'Unique per account, case-insensitive; usable in URLs in place of the id', examples: ['app'] })),
    distributionStrategy: oneOf(DISTRIBUTION_STRATEGIES, { examples: ['LICENSED'] }),
    url: nullable(string({ examples: ['https://example.com/app'] })),
    metadata: metadata(),
    created: dateTime(),
    updated: dateTime(),
  },
  relationships: { packages: toManyShape(), policies: toManyShape(), licenses: toManyShape() },
};
