import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid } from '../common/ids.js';
import type { ChangeSerials } from '../database/change-serials.js';
import { Account } from '../database/entities/account.entity.js';
import { poolOf } from '../database/pool.js';
import { GroupedRuns } from '../common/grouped-runs.js';

interface AccountRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  auth_serial: number | null;
  catalog_serial: number | null;
}

@Injectable()
export class AccountsRepository {
  constructor(private readonly db: DataSource) {}

  /** `{account}` in a path is the account's UUID or its slug (SPEC §1.1). */
  async findByIdOrSlug(idOrSlug: string): Promise<Account | null> {
    return (await this.findWithSerials(idOrSlug))?.account ?? null;
  }

  /**
   * The account and its change serials, in one indexed query: every request starts here, and
   * every in-process cache it then consults is checked against these serials. Concurrent
   * requests for the same account share reads (see GroupedRuns): each gets the answer of a read
   * sent after it arrived, so a write committed before a request began is always seen, and under
   * load one round trip serves every request that arrived while the previous one was out.
   */
  async findWithSerials(idOrSlug: string): Promise<{ account: Account; serials: ChangeSerials } | null> {
    const byId = isUuid(idOrSlug);
    const row = await this.reads.call(byId ? idOrSlug.toLowerCase() : idOrSlug, undefined);
    if (!row) return null;
    // Each request gets its own objects: nothing one handler does to them reaches another.
    const account = Object.assign(new Account(), { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at });
    return { account, serials: { auth: row.auth_serial ?? 1, catalog: row.catalog_serial ?? 1 } };
  }

  private readonly reads = new GroupedRuns<string, undefined, AccountRow | undefined>(async (idOrSlug) => {
    // Not a named statement: the embedded server's connections share one session, where a name
    // outlives the connection that prepared it, and a prepared plan fails once a migration
    // changes a column's type under a running instance (docs/decisions.md).
    const { rows } = await poolOf(this.db).query<AccountRow>(
      `SELECT a.id, a.slug, a.name, a.created_at, a.updated_at, s.auth_serial, s.catalog_serial
       FROM accounts a LEFT JOIN account_serials s ON s.account_id = a.id
       WHERE ${isUuid(idOrSlug) ? 'a.id = $1' : 'lower(a.slug) = lower($1)'}`,
      [idOrSlug],
    );
    return rows[0];
  });
}
