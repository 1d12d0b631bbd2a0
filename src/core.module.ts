import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { SECRET_KEY } from './auth/secrets.js';
import { LOGGER } from './common/logger.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import type { Database } from './database/data-source.js';

export interface Runtime {
  config: AppConfig;
  database: Database;
  logger: Logger;
  secretKey: string;
}

const DATABASE = Symbol('DATABASE');

/** The process-wide things every module may inject: config, logger, secret, database. */
@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  static forRoot(runtime: Runtime): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: runtime.config },
      { provide: LOGGER, useValue: runtime.logger },
      { provide: SECRET_KEY, useValue: runtime.secretKey },
      { provide: DATABASE, useValue: runtime.database },
      { provide: DataSource, useValue: runtime.database.dataSource },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }

  /** Closes the pool, then the embedded server if this process runs it (SPEC §9). */
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}
