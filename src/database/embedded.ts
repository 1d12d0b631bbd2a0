import { mkdir, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Connections the socket server accepts. Keyshelf uses one (see dataSourceOptions); a few more
 * let a refused second process connect long enough to learn that the database is in use.
 */
const EMBEDDED_MAX_CONNECTIONS = 4;

/** The embedded database of a data directory has one owning process. */
export class EmbeddedDatabaseBusy extends Error {}

export interface EmbeddedEndpoint {
  /** Directory holding the unix socket, used as `host` by `pg`. */
  socketDir: string;
  port: number;
}

/**
 * The embedded default (SPEC §9): PGlite with its data in DATA_DIR, served in-process on a
 * unix socket so the ordinary `pg` driver talks to it exactly as to PostgreSQL.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly endpoint: EmbeddedEndpoint,
  ) {}

  static socketDir(dataDir: string): string {
    return join(dataDir, 'run');
  }

  /** Starts the database; refuses when another process already owns this data directory. */
  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const socketDir = EmbeddedPostgres.socketDir(dataDir);
    const endpoint = { socketDir, port: 5432 };
    if (await EmbeddedPostgres.isServing(endpoint)) {
      throw new EmbeddedDatabaseBusy(
        `a Keyshelf process is already running on the embedded database in ${dataDir}; stop it first, or run on PostgreSQL (DATABASE_URL)`,
      );
    }
    await mkdir(socketDir, { recursive: true });
    // A socket left by a process that was killed answers nobody: remove it before listening.
    await rm(join(socketDir, `.s.PGSQL.${endpoint.port}`), { force: true });
    const db = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
    const server = new PGLiteSocketServer({
      db,
      path: join(socketDir, '.s.PGSQL.5432'),
      maxConnections: EMBEDDED_MAX_CONNECTIONS,
    });
    await server.start();
    return new EmbeddedPostgres(db, server, endpoint);
  }

  /** True when a process already serves the socket (used by the CLI to share a running server). */
  static isServing(endpoint: EmbeddedEndpoint): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection(join(endpoint.socketDir, `.s.PGSQL.${endpoint.port}`));
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
