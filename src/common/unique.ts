import type { DataSource, EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { type DomainError, type ErrorSource, Errors, isUniqueViolation, relationshipPointer } from './errors.js';

/**
 * A natural key free in the account, compared case-insensitively. Checked before writing so
 * the common case gets a clear 422; the unique index still decides races (see `writeUnique`).
 */
export async function assertKeyFree<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  column: string,
  accountId: string,
  value: string,
  taken: () => DomainError,
): Promise<void> {
  const exists = await manager
    .getRepository(target)
    .createQueryBuilder('k')
    .where(`k.account_id = :account AND lower(k.${column}) = lower(:value)`, { account: accountId, value })
    .getExists();
  if (exists) throw taken();
}

/** Runs a write in a transaction and turns a lost race on a named unique index into its 422. */
export async function writeUnique<T>(db: DataSource, work: (manager: EntityManager) => Promise<T>, indexes: Record<string, () => DomainError>): Promise<T> {
  try {
    return await db.transaction(work);
  } catch (error) {
    for (const [index, taken] of Object.entries(indexes)) if (isUniqueViolation(error, index)) throw taken();
    throw error;
  }
}

/**
 * A record looked up inside a write's transaction is locked (`FOR NO KEY UPDATE OF alias`)
 * until the transaction ends: a concurrent change or delete of it waits, and then finds it as
 * it now is, or gone (404). Without the lock a change racing a delete updates nothing and still
 * answers 200 with an event, or TypeORM's save, finding no row, inserts the deleted one again.
 * Creating children (a foreign key's KEY SHARE lock) is not held up by it.
 */
export function forWrite<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, manager: EntityManager | undefined, alias: string): SelectQueryBuilder<T> {
  return manager?.queryRunner?.isTransactionActive ? qb.setLock('for_no_key_update', undefined, [alias]) : qb;
}

/**
 * Deletes the one row a delete route names, inside its transaction, and answers 404 when it is
 * gone: a concurrent delete that committed first wins, and the losers roll back (no second
 * event). Under READ COMMITTED the losing DELETE waits for the winner's row lock and then finds
 * nothing to delete.
 */
export async function deleteFound<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, id: string, accountId: string, what: string): Promise<void> {
  const result = await manager.createQueryBuilder().delete().from(target).where('id = :id AND account_id = :account', { id, account: accountId }).execute();
  if (!result.affected) throw Errors.notFound(what);
}

/** A related record named in the request body, deleted meanwhile: the documented 422 `<NAME>_NOT_FOUND`. */
const relatedGone = (name: string, pointer: ErrorSource = relationshipPointer(name)) => () =>
  Errors.unprocessable(`${name.toUpperCase()}_NOT_FOUND`, `${name} does not exist`, pointer);
/** The record the URL names, deleted meanwhile: 404. */
const targetGone = (what: string) => () => Errors.notFound(what);

/**
 * Every foreign key a write can lose a race on (a create racing the delete of its parent,
 * PostgreSQL 23503), by constraint name, and its answer (SPEC §10: never a 500). Keys to the
 * account itself are covered by `<table>_account_id_fkey`.
 */
const FOREIGN_KEYS: Record<string, () => DomainError> = {
  packages_product_id_fkey: relatedGone('product'),
  policies_product_id_fkey: relatedGone('product'),
  releases_product_id_fkey: relatedGone('product'),
  releases_package_id_fkey: relatedGone('package'),
  artifacts_release_id_fkey: relatedGone('release'),
  licenses_policy_id_fkey: relatedGone('policy'),
  // A license's product is its policy's: deleting the product deleted the policy.
  licenses_product_id_fkey: relatedGone('policy'),
  licenses_user_id_fkey: relatedGone('user'),
  release_constraints_entitlement_id_fkey: relatedGone('entitlement', { pointer: '/data' }),
  policy_entitlements_entitlement_id_fkey: relatedGone('entitlement', { pointer: '/data' }),
  license_entitlements_entitlement_id_fkey: relatedGone('entitlement', { pointer: '/data' }),
  release_constraints_release_id_fkey: targetGone('release'),
  policy_entitlements_policy_id_fkey: targetGone('policy'),
  license_entitlements_license_id_fkey: targetGone('license'),
  tokens_user_id_fkey: targetGone('user'),
  tokens_product_id_fkey: targetGone('product'),
  tokens_license_id_fkey: targetGone('license'),
};

/** The answer to a foreign-key violation; an unlisted one is still a conflict to retry, never a 500. */
export function foreignKeyViolation(constraint: string | undefined): DomainError {
  const answer = constraint ? FOREIGN_KEYS[constraint] : undefined;
  if (answer) return answer();
  if (constraint?.endsWith('_account_id_fkey')) return Errors.notFound('account');
  return Errors.conflict('CONFLICT', 'A related record was deleted meanwhile; retry the request');
}
