import { resource, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { User } from '../database/entities/user.entity.js';

export function serializeUser(user: User): ResourceObject {
  return resource(user.accountId, 'users', user.id, {
    email: user.email,
    name: user.name,
    role: user.role,
    created: timestamp(user.createdAt),
    updated: timestamp(user.updatedAt),
  });
}
