import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { LOGGER } from '../common/logger.js';
import { Account } from '../database/entities/account.entity.js';
import { createAccountWithAdmin } from './account-setup.js';

const BOOTSTRAP_LOCK_KEY = 7_382_114_906;

/**
 * First start (SPEC §2): when the database holds no account at all, create `default` with an
 * admin user and write the admin token to $DATA_DIR/admin-token (0600). Serialized by an
 * advisory lock so instances starting together on an empty database bootstrap once.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const path = join(this.config.dataDir, 'admin-token');
    const created = await this.db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      if (await manager.getRepository(Account).exists()) return false;
      const { token } = await createAccountWithAdmin(manager, { slug: 'default', name: 'Default' });
      // Written before commit: if the file cannot be written, nothing is created and the next start retries.
      await writeSecretFile(path, `${token}\n`);
      return true;
    });
    if (created) this.logger.info({ path }, 'created account "default"; its admin token is in the file at path');
  }
}

async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, content, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
}
