import { accountPath, resource, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { Token } from '../database/entities/token.entity.js';

/** `raw` is given only in the create response: the token is shown once (SPEC §1.5). */
export function serializeToken(token: Token, raw?: string): ResourceObject {
  const bearer = token.userId
    ? { type: 'users', id: token.userId }
    : token.productId
      ? { type: 'products', id: token.productId }
      : token.licenseId
        ? { type: 'licenses', id: token.licenseId }
        : null;
  return resource(
    token.accountId,
    'tokens',
    token.id,
    {
      kind: token.kind,
      name: token.name,
      expiry: timestamp(token.expiry),
      ...(raw ? { token: raw } : {}),
      created: timestamp(token.createdAt),
      updated: timestamp(token.updatedAt),
    },
    bearer
      ? { bearer: { data: bearer, links: { related: `${accountPath(token.accountId)}/${bearer.type}/${bearer.id}` } } }
      : {},
  );
}
