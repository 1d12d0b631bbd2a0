import pg from 'pg';
import { DataSource, type DataSourceOptions, MigrationExecutor } from 'typeorm';
import { EmbeddedPostgres } from './embedded.js';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

/** Arbitrary constant naming the advisory lock that serializes migrations across instances. */
const MIGRATION_LOCK_KEY = 7_382_114_905;

export type ConnectionTarget = { kind: 'url'; url: string; poolSize?: number } | { kind: 'embedded'; socketDir: string; port: number };

export interface PoolLimits {
  /**
   * PostgreSQL cancels any statement running longer (SQLSTATE 57014, answered 503), so no
   * request holds a connection for long (SPEC §10). 0 = no limit. Sent as the `statement_timeout`
   * startup parameter of every pooled connection. The embedded database ignores it: PGlite runs
   * each statement to its end inside this process (no timer signals in WebAssembly), so there
   * queries are bounded by construction (capped list parameters, set-based filters).
   */
  statementTimeoutMs?: number;
}

// Timestamps are read as Date objects in UTC; bigint counters as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function dataSourceOptions(target: ConnectionTarget, limits: PoolLimits = {}): DataSourceOptions {
  const connection =
    target.kind === 'url'
      ? { url: target.url }
      : { host: target.socketDir, port: target.port, username: 'postgres', database: 'postgres' };
  // The embedded server interleaves the protocol messages of concurrent connections, so one
  // connection's extended-protocol query can run another's statement: exactly one connection.
  const poolSize = target.kind === 'embedded' ? 1 : (target.poolSize ?? 20);
  return {
    type: 'postgres',
    ...connection,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    poolSize,
    extra: { max: poolSize, connectionTimeoutMillis: 10_000, ...(limits.statementTimeoutMs ? { statement_timeout: limits.statementTimeoutMs } : {}) },
  };
}

/**
 * Runs pending migrations on one connection, without the statement timeout (building an index
 * on a large table may take longer than any request should). On PostgreSQL they run under a
 * session-level advisory lock, so that instances starting together run them one after the
 * other (the later ones find nothing pending); the embedded database has a single owner and a
 * single connection, so no lock.
 */
export async function migrate(dataSource: DataSource, lock: boolean): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SET statement_timeout = 0');
    if (lock) await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      await executor.executePendingMigrations();
    } finally {
      if (lock) await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await runner.query('RESET statement_timeout');
    }
  } finally {
    await runner.release();
  }
}

export interface Database {
  dataSource: DataSource;
  /** Present when this process serves the embedded database and must stop it on shutdown. */
  embedded: EmbeddedPostgres | null;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded database in DATA_DIR. The embedded database
 * has one owner and one connection: a second process (a CLI beside a running server) is refused
 * rather than risk its queries interleaving with the server's.
 */
export async function openDatabase(options: { databaseUrl: string | null; dataDir: string; poolSize?: number } & PoolLimits): Promise<Database> {
  let embedded: EmbeddedPostgres | null = null;
  let target: ConnectionTarget;
  if (options.databaseUrl) {
    target = { kind: 'url', url: options.databaseUrl, poolSize: options.poolSize };
  } else {
    embedded = await EmbeddedPostgres.start(options.dataDir);
    target = { kind: 'embedded', ...embedded.endpoint };
  }
  const dataSource = new DataSource(dataSourceOptions(target, { statementTimeoutMs: options.statementTimeoutMs }));
  try {
    await dataSource.initialize();
    await migrate(dataSource, target.kind === 'url');
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
