import { AccountSetupError, createAccountWithAdmin } from '../accounts/account-setup.js';
import { isUniqueViolation } from '../common/errors.js';
import type { Database } from '../database/data-source.js';
import { parseOptions, UsageError } from './args.js';

/** `account create --slug <slug> [--name <name>] [--email <email> --password <pw>]` (SPEC §2). */
export async function accountCreate(database: Database, args: string[]): Promise<string> {
  const options = parseOptions(args, ['slug', 'name', 'email', 'password']);
  if (!options.slug) throw new UsageError('--slug is required');
  if ((options.email === undefined) !== (options.password === undefined)) {
    throw new UsageError('--email and --password go together');
  }
  try {
    const created = await database.dataSource.transaction((manager) =>
      createAccountWithAdmin(manager, { slug: options.slug, name: options.name, email: options.email, password: options.password }),
    );
    return JSON.stringify({
      account: { id: created.account.id, slug: created.account.slug },
      user: { id: created.user.id, email: created.user.email },
      token: created.token,
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AccountSetupError(`the slug "${options.slug}" is already taken`);
    throw error;
  }
}
