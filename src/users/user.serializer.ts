import { resource, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { User } from '../database/entities/user.entity.js';
import { USER_ROLES } from '../database/entities/user.entity.js';
import { nullable, oneOf, string, dateTime, type ResourceShape } from '../openapi/schema.js';

export function serializeUser(user: User): ResourceObject {
  return resource(user.accountId, 'users', user.id, {
    email: user.email,
    name: user.name,
    role: user.role,
    created: timestamp(user.createdAt),
    updated: timestamp(user.updatedAt),
  });
}

export const USER_SHAPE: ResourceShape = {
  type: 'users',
  name: 'User',
  description: 'A user of the account (SPEC §3.6); the password is write-only',
  attributes: {
    email: string({ format: 'email', examples: ['ops@acme.test'] }),
    name: nullable(string({ examples: ['Ops'] })),
    role: oneOf(USER_ROLES, { examples: ['developer'] }),
    created: dateTime(),
    updated: dateTime(),
  },
};
