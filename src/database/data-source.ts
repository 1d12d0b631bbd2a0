import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { EMBEDDED_MAX_CONNECTIONS, EmbeddedPostgres } from './embedded.js';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';

/** Arbitrary constant naming the advisory lock that serializes migrations across instances. */
const MIGRATION_LOCK_KEY = 7_382_114_905;

export type ConnectionTarget =
  | { kind: 'url'; url: string; poolSize?: number }
  | { kind: 'embedded'; socketDir: string; port: number; poolSize?: number };

// Timestamps are read as Date objects in UTC; bigint counters as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function dataSourceOptions(target: ConnectionTarget): DataSourceOptions {
  const connection =
    target.kind === 'url'
      ? { url: target.url }
      : { host: target.socketDir, port: target.port, username: 'postgres', database: 'postgres' };
  const poolSize = target.poolSize ?? (target.kind === 'embedded' ? EMBEDDED_MAX_CONNECTIONS - 2 : 20);
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
    extra: { max: poolSize, connectionTimeoutMillis: 10_000 },
  };
}

/**
 * Runs pending migrations under a session-level advisory lock, so that instances starting
 * together run them one after the other (the later ones find nothing pending).
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
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
 * Connects to DATABASE_URL, or to the embedded database in DATA_DIR. With `shareRunning`, an
 * embedded database already served by another process (the running server) is used through
 * its socket instead of being opened a second time (the CLI does this).
 */
export async function openDatabase(options: {
  /** At least 2: migrations hold one connection for the lock while running on another. */
  databaseUrl: string | null;
  dataDir: string;
  shareRunning?: boolean;
  poolSize?: number;
}): Promise<Database> {
  let embedded: EmbeddedPostgres | null = null;
  let target: ConnectionTarget;
  if (options.databaseUrl) {
    target = { kind: 'url', url: options.databaseUrl, poolSize: options.poolSize };
  } else {
    const endpoint = { socketDir: EmbeddedPostgres.socketDir(options.dataDir), port: 5432 };
    if (!(options.shareRunning && (await EmbeddedPostgres.isServing(endpoint)))) {
      embedded = await EmbeddedPostgres.start(options.dataDir);
    }
    target = { kind: 'embedded', ...endpoint, poolSize: options.poolSize };
  }
  const dataSource = new DataSource(dataSourceOptions(target));
  try {
    await dataSource.initialize();
    await migrate(dataSource);
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
