import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { isUuid } from '../common/ids.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
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
  /**
   * Whether the account read is a prepared (named) statement: on PostgreSQL, parsing and
   * planning it took about 200 µs of the server's CPU per read, executing it prepared about 45
   * (docs/performance.md). Not on the embedded server, whose connections share one session,
   * where a name would outlive the connection that prepared it.
   */
  private readonly prepared: boolean;
  /** See `recent`: 0 when every request reads. */
  private readonly windowMs: number;
  /**
   * The last answer of each account's read, with when it was sent (`performance.now()`): it
   * answers the read-only requests that arrive within the coherence window after it was sent.
   * Answers to writes wait the window out (coherence-window.ts), so a request sent after one
   * arrives more than the window after its commit, and the read that answers it was sent after
   * the commit. Only found accounts are kept, by the name a request used (id or slug as written).
   */
  private readonly recent = new LRUCache<string, { sentAt: number; row: AccountRow }>({ max: 10_000 });

  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prepared = config.databaseUrl !== null;
    this.windowMs = config.coherenceWindowMs;
  }

  /**
   * The account and its change serials, in one indexed query: every request starts here, and
   * every in-process cache it then consults is checked against these serials. It takes a read
   * sent after the call; with `shareRecent` (a read-only request) one sent at most the coherence
   * window before the call, if there is one. Concurrent requests for the same account share
   * reads (see GroupedRuns): under load one round trip serves every request that arrived while
   * the previous one was out.
   */
  async findWithSerials(idOrSlug: string, options: { shareRecent?: boolean } = {}): Promise<{ account: Account; serials: ChangeSerials } | null> {
    const key = isUuid(idOrSlug) ? idOrSlug.toLowerCase() : idOrSlug;
    const recent = this.windowMs > 0 && options.shareRecent ? this.recent.get(key) : undefined;
    const row = recent && performance.now() - recent.sentAt <= this.windowMs ? recent.row : await this.reads.call(key, undefined);
    if (!row) return null;
    // Each request gets its own objects: nothing one handler does to them reaches another.
    const account = Object.assign(new Account(), { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at });
    return { account, serials: { auth: row.auth_serial ?? 1, catalog: row.catalog_serial ?? 1 } };
  }

  private readonly reads = new GroupedRuns<string, undefined, AccountRow | undefined>(async (idOrSlug) => {
    const sentAt = performance.now();
    const row = await this.read(idOrSlug);
    if (this.windowMs > 0) {
      if (row) this.recent.set(idOrSlug, { sentAt, row });
      else this.recent.delete(idOrSlug);
    }
    return row;
  });

  private async read(idOrSlug: string): Promise<AccountRow | undefined> {
    const byId = isUuid(idOrSlug);
    const text = `SELECT a.id, a.slug, a.name, a.created_at, a.updated_at, s.auth_serial, s.catalog_serial
       FROM accounts a LEFT JOIN account_serials s ON s.account_id = a.id
       WHERE ${byId ? 'a.id = $1' : 'lower(a.slug) = lower($1)'}`;
    const pool = poolOf(this.db);
    if (!this.prepared) return (await pool.query<AccountRow>(text, [idOrSlug])).rows[0];
    try {
      return (await pool.query<AccountRow>({ name: byId ? 'keyshelf_account_by_id' : 'keyshelf_account_by_slug', text, values: [idOrSlug] })).rows[0];
    } catch (error) {
      // A statement prepared before a migration changed a selected column (a rolling deploy):
      // the pool has dropped that connection; this read goes unprepared.
      if (!STALE_STATEMENT.has((error as { code?: string }).code ?? '')) throw error;
      return (await pool.query<AccountRow>(text, [idOrSlug])).rows[0];
    }
  }
}

/**
 * What PostgreSQL answers a prepared statement that no longer fits the schema or the session:
 * its plan's result type changed (0A000), its name is taken (42P05) or gone (26000).
 */
const STALE_STATEMENT = new Set(['0A000', '42P05', '26000']);
