import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { createApp } from './app.factory.js';
import { InFlightHandlers } from './common/in-flight.js';
import { createLogger } from './common/logger.js';
import { type AppConfig, ConfigError, loadConfig } from './config/config.js';

/** How long the handlers of requests cut at the deadline get to clean up (remove staged uploads). */
const CLEANUP_GRACE_MS = 5_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const { app } = await createApp(config, logger);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutDown(app, config, logger).then(
      (clean) => process.exit(clean ? 0 : 1),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  await app.listen(config.port);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  logger.info({ port, dataDir: config.dataDir, database: config.databaseUrl ? 'postgresql' : 'embedded' }, startupLine(config, port));
}

/** The one line a person reads at start: where to send requests, where the data and the admin token are. */
function startupLine(config: AppConfig, port: number): string {
  const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : `./${relative(process.cwd(), path)}`);
  const database = config.databaseUrl ? 'PostgreSQL' : `embedded database in ${shown(config.dataDir)}`;
  const tokenFile = join(config.dataDir, 'admin-token');
  const token = existsSync(tokenFile) ? `; admin token in ${shown(tokenFile)}` : '';
  return `Keyshelf listening on ${config.publicUrl ?? `http://localhost:${port}`} (${database}${token})`;
}

/**
 * SPEC §9: stop accepting connections and let in-flight requests finish, for at most the
 * shutdown timeout; then cut the requests still running (a stalled upload) and give their
 * handlers a moment to clean up (SPEC §7: no temporary file left behind) before the database
 * closes. True when every request finished on its own.
 */
async function shutDown(app: NestExpressApplication, config: AppConfig, logger: Logger): Promise<boolean> {
  const server: Server = app.getHttpServer();
  const handlers = app.get(InFlightHandlers);
  // Refuses new connections and closes idle keep-alive ones; resolves once every connection is gone.
  const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
  const finished = await Promise.race([closed, delay(config.shutdownTimeoutMs, false, { ref: false })]);
  if (!finished) {
    logger.warn('shutdown deadline reached; cutting the requests still in flight');
    server.closeAllConnections();
  }
  if (!(await handlers.settled(CLEANUP_GRACE_MS))) logger.error('request handlers did not finish cleaning up');
  // A hung close must not keep the process alive.
  setTimeout(() => process.exit(1), CLEANUP_GRACE_MS).unref();
  await app.close();
  return finished;
}

main().catch((error: unknown) => {
  process.stderr.write(`keyshelf failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
