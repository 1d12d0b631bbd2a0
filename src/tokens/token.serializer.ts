import { accountPath, resource, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { Token } from '../database/entities/token.entity.js';
import { TOKEN_KINDS } from '../database/entities/token.entity.js';
import { nullable, oneOf, string, dateTime, type ResourceShape } from '../openapi/schema.js';

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

export const TOKEN_SHAPE: ResourceShape = {
  type: 'tokens',
  name: 'Token',
  description: 'An API token; its raw value is shown once, in the create response (SPEC §1.5)',
  attributes: {
    kind: oneOf(TOKEN_KINDS),
    name: nullable(string({ examples: ['ci'] })),
    expiry: nullable(dateTime({ description: 'null: never expires' })),
    token: string({ description: 'The raw token, only in the create response', examples: ['admin_3f1c…'] }),
    created: dateTime(),
    updated: dateTime(),
  },
  optionalAttributes: ['token'],
  relationships: { bearer: { kind: 'one', type: ['users', 'products', 'licenses'], optional: true } },
};
