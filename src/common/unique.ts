import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { type DomainError, isUniqueViolation } from './errors.js';

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
