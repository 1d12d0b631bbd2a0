import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { BLOB_STORE, type BlobStore, type SweepReport } from './blob-store.js';

/**
 * Removes bytes that no artifact row references (a crash between storing and recording them)
 * and temporary uploads, once older than the grace period (SPEC §7). Runs on a schedule in
 * the server and on demand with `npm run cli -- storage sweep`.
 */
@Injectable()
export class StorageSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: DataSource,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.sweep.intervalSeconds;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      this.sweep().then(
        (report) => this.logger.info({ report }, 'storage sweep'),
        (error: unknown) => this.logger.warn({ err: (error as Error).message }, 'storage sweep failed'),
      );
    }, every * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sweep(graceMs = this.config.sweep.graceSeconds * 1000, progress?: (done: number) => void): Promise<SweepReport> {
    return sweepStorage(this.db, this.store, graceMs, progress);
  }
}

/** Keys looked up per statement: a directory may hold any number of blobs, a statement must stay bounded. */
const KEYS_PER_QUERY = 1000;

/** The sweep itself, shared by the schedule and the CLI. */
export function sweepStorage(db: DataSource, store: BlobStore, graceMs: number, progress?: (done: number) => void): Promise<SweepReport> {
  const referenced = async (keys: string[]): Promise<Set<string>> => {
    const found = new Set<string>();
    for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
      const batch = keys.slice(start, start + KEYS_PER_QUERY);
      const rows: { storage_key: string }[] = await db.query('SELECT storage_key FROM artifacts WHERE storage_key = ANY($1::text[])', [batch]);
      for (const row of rows) found.add(row.storage_key);
    }
    return found;
  };
  return store.sweep(referenced, graceMs, progress);
}
