import { hash } from '@node-rs/argon2';
import type { EntityManager } from 'typeorm';
import { generateToken, tokenDigest } from '../auth/secrets.js';
import { Account } from '../database/entities/account.entity.js';
import { EventLog } from '../database/entities/event-log.entity.js';
import { Token } from '../database/entities/token.entity.js';
import { User } from '../database/entities/user.entity.js';

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const DEFAULT_ADMIN_EMAIL = 'admin@keyshelf.local';

export class AccountSetupError extends Error {}

export interface NewAccount {
  slug: string;
  name?: string;
  email?: string;
  password?: string;
}

export interface CreatedAccount {
  account: Account;
  user: User;
  token: string;
}

/**
 * Creates an account with its first admin user and an admin token (SPEC §2), inside the
 * caller's transaction. Used by the CLI and by the first-start bootstrap.
 */
export async function createAccountWithAdmin(manager: EntityManager, input: NewAccount): Promise<CreatedAccount> {
  // Slugs are case-insensitive; they are kept in lowercase so every URL form matches.
  const slug = input.slug.toLowerCase();
  if (!SLUG_PATTERN.test(slug) || /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(slug)) {
    throw new AccountSetupError('slug must be 1-63 lowercase letters, digits or hyphens, starting with a letter or digit');
  }
  if (input.password !== undefined && input.password.length < 8) {
    throw new AccountSetupError('password must be at least 8 characters');
  }
  const email = (input.email ?? DEFAULT_ADMIN_EMAIL).trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new AccountSetupError('email is not a valid address');

  const taken = await manager
    .getRepository(Account)
    .createQueryBuilder('a')
    .where('lower(a.slug) = :slug', { slug })
    .getExists();
  if (taken) throw new AccountSetupError(`the slug "${slug}" is already taken`);

  const account = await manager.getRepository(Account).save({ slug, name: input.name ?? slug });
  const user = await manager.getRepository(User).save({
    accountId: account.id,
    email,
    name: 'Administrator',
    role: 'admin' as const,
    passwordHash: input.password ? await hash(input.password) : null,
  });
  const raw = generateToken('admin');
  const token = await manager.getRepository(Token).save({
    accountId: account.id,
    kind: 'admin' as const,
    name: 'bootstrap',
    digest: tokenDigest(raw),
    expiry: null,
    userId: user.id,
  });
  await manager.getRepository(EventLog).insert([
    { accountId: account.id, event: 'user.created', resourceType: 'users', resourceId: user.id },
    { accountId: account.id, event: 'token.created', resourceType: 'tokens', resourceId: token.id },
  ]);
  return { account, user, token: raw };
}
