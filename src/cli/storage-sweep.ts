import { loadConfig } from '../config/config.js';
import type { Database } from '../database/data-source.js';
import { createBlobStore } from '../storage/storage.module.js';
import { sweepStorage } from '../storage/storage-sweeper.js';
import { parseOptions, UsageError } from './args.js';

/**
 * `storage sweep [--grace-seconds N]`: removes unreferenced bytes and abandoned uploads older
 * than the grace period (SWEEP_GRACE_SECONDS by default). Progress goes to stderr, the summary
 * to stdout as one JSON line.
 */
export async function storageSweep(database: Database, args: string[]): Promise<string> {
  const config = loadConfig();
  const options = parseOptions(args, ['grace-seconds']);
  let graceSeconds = config.sweep.graceSeconds;
  if (options['grace-seconds'] !== undefined) {
    if (!/^\d+$/.test(options['grace-seconds'])) throw new UsageError('--grace-seconds must be a whole number');
    graceSeconds = Number(options['grace-seconds']);
  }
  const store = await createBlobStore(config);
  const report = await sweepStorage(database.dataSource, store, graceSeconds * 1000, (done) => {
    process.stderr.write(`\rchecked ${done} blobs`);
  });
  process.stderr.write('\n');
  return JSON.stringify({ sweep: report });
}
