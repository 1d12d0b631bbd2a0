import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestAccount, TestApp } from './app.js';

/** The generic registry's URL of a package, a version or a file, segments as given (already encoded). */
export function genericUrl(account: TestAccount, ...segments: string[]): string {
  return `${account.base}/engines/generic/${segments.join('/')}`;
}

/** Rows and stored files, to prove that a refused request wrote nothing (fs driver). */
export async function footprint(t: TestApp): Promise<{ packages: number; releases: number; artifacts: number; blobs: number }> {
  const [rows] = await t.db.query(
    `SELECT (SELECT count(*) FROM packages)::int AS packages, (SELECT count(*) FROM releases)::int AS releases,
            (SELECT count(*) FROM artifacts)::int AS artifacts`,
  );
  const files = async (dir: string): Promise<number> => {
    let n = 0;
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) n += entry.isDirectory() ? await files(join(dir, entry.name)) : 1;
    return n;
  };
  return { ...rows, blobs: await files(join(t.config.dataDir, 'storage')) };
}
