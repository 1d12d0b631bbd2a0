import type pg from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * The `pg` pool under TypeORM, for the few statements every hot request runs (the account and
 * its change serials, a read's event): the same connections and settings (statement timeout),
 * without a query runner's bookkeeping per call.
 */
export function poolOf(db: DataSource): pg.Pool {
  return (db.driver as PostgresDriver).master as pg.Pool;
}
