import { HotPath, type ExpressApp } from './hot-path/hot-path.js';
import { InFlightHandlers } from './common/in-flight.js';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { answerClientErrors } from './common/client-error.js';
import { writesWaitOutTheWindow } from './common/coherence-window.js';
import { type ErrorStyleRule, errorStyleByPath } from './common/error-style.js';
import { KeyshelfExpressAdapter } from './common/express-adapter.js';
import { createLogger, PinoNestLogger, requestLogMiddleware } from './common/logger.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';
import type { AppConfig } from './config/config.js';
import { resolveSecretKey } from './config/secret-key.js';
import { openDatabase } from './database/data-source.js';
import { buildOpenApiDocument } from './openapi/document.js';
import { PYPI_ERROR_STYLE } from './pypi/pypi-path.middleware.js';
import { TAURI_PATH } from './upgrades/upgrades.module.js';

/** The engine routes that answer errors in their protocol's form rather than JSON:API (SPEC §1.3). */
const ERROR_STYLES: readonly ErrorStyleRule[] = [...PYPI_ERROR_STYLE, [TAURI_PATH, 'json']];

export interface KeyshelfApp {
  app: NestExpressApplication;
  logger: Logger;
}

/** Builds the whole application for a validated configuration: used by main.ts and the tests. */
export async function createApp(config: AppConfig, logger: Logger = createLogger(config.logLevel)): Promise<KeyshelfApp> {
  const secretKey = await resolveSecretKey(config.secretKey, config.dataDir);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, statementTimeoutMs: config.databaseStatementTimeoutMs });
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, database, logger, secretKey }), new KeyshelfExpressAdapter(), {
      bodyParser: false,
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    });
    app.disable('x-powered-by');
    app.set('query parser', 'simple');
    // Which hops may name the client in X-Forwarded-For: the address rate limits count by (SPEC §8.4).
    app.set('trust proxy', config.trustProxy);
    // What every request goes through first; the hot path, in front of Express, applies it too.
    const early = [requestIdMiddleware, requestLogMiddleware(logger), errorStyleByPath(ERROR_STYLES)];
    app.use(...early);
    // Only Nest's routes write (the hot path serves GET and HEAD).
    app.use(writesWaitOutTheWindow(config.coherenceWindowMs, logger));
    app.get(HotPath).mount(app.getHttpAdapter().getInstance() as unknown as ExpressApp, early, app.get(InFlightHandlers));
    mountOpenApi(app);
    answerClientErrors(app.getHttpServer(), ERROR_STYLES);
    await app.init();
    return { app, logger };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** The OpenAPI document at /openapi.json and the interactive page at /docs (SPEC §8.2). */
function mountOpenApi(app: NestExpressApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
}
