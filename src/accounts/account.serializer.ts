import { accountPath, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { Account } from '../database/entities/account.entity.js';
import { string, dateTime, type ResourceShape } from '../openapi/schema.js';

export function serializeAccount(account: Account): ResourceObject {
  return {
    id: account.id,
    type: 'accounts',
    attributes: {
      slug: account.slug,
      name: account.name,
      created: timestamp(account.createdAt),
      updated: timestamp(account.updatedAt),
    },
    relationships: {},
    links: { self: accountPath(account.id) },
  };
}

export const ACCOUNT_SHAPE: ResourceShape = {
  type: 'accounts',
  name: 'Account',
  description: 'The tenant',
  attributes: { slug: string({ examples: ['acme'] }), name: string({ examples: ['Acme Inc'] }), created: dateTime(), updated: dateTime() },
};
