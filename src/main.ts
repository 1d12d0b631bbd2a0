import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from './app.factory.js';
import { createLogger } from './common/logger.js';
import { type AppConfig, ConfigError, loadConfig } from './config/config.js';

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
  await app.listen(config.port);
  logger.info({ port: listeningPort(app), dataDir: config.dataDir, database: config.databaseUrl ? 'postgresql' : 'embedded' }, startupLine(config, listeningPort(app)));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // In-flight requests get a bounded time to finish (SPEC §9).
    setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`keyshelf failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

function listeningPort(app: NestExpressApplication): number {
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** The one line a person reads at start: where to send requests, where the data and the admin token are. */
function startupLine(config: AppConfig, port: number): string {
  const shown = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : `./${relative(process.cwd(), path)}`);
  const database = config.databaseUrl ? 'PostgreSQL' : `embedded database in ${shown(config.dataDir)}`;
  const tokenFile = join(config.dataDir, 'admin-token');
  const token = existsSync(tokenFile) ? `; admin token in ${shown(tokenFile)}` : '';
  return `Keyshelf listening on ${config.publicUrl ?? `http://localhost:${port}`} (${database}${token})`;
}
