import { accountPath, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { Account } from '../database/entities/account.entity.js';

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
