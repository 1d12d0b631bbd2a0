import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestApp } from './app.js';

/**
 * Everything a request could have changed, to prove that a refused one changed nothing: per
 * table, the row count and a digest of every row (so an update shows too), and the storage
 * directory's listing with sizes. What a permitted read writes by design (download counters and
 * the events of downloads and served upgrades) is left out.
 */
export async function footprint(t: TestApp): Promise<Record<string, string>> {
  const tables: { name: string }[] = await t.db.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migrations' ORDER BY 1`,
  );
  const volatile: Record<string, { columns: string[]; rows?: string }> = {
    artifacts: { columns: ['downloads', 'updated_at'] },
    event_logs: { columns: [], rows: `event NOT IN ('artifact.downloaded', 'release.upgraded')` },
  };
  const selects = tables.map(({ name }) => {
    const skip = volatile[name];
    const row = `(to_jsonb(t)${(skip?.columns ?? []).map((column) => ` - '${column}'`).join('')})::text`;
    return `SELECT '${name}' AS name, count(*)::int AS n, coalesce(md5(string_agg(md5(${row}), '' ORDER BY md5(${row}))), '') AS digest FROM "${name}" t${skip?.rows ? ` WHERE ${skip.rows}` : ''}`;
  });
  const rows: { name: string; n: number; digest: string }[] = await t.db.query(selects.join(' UNION ALL '));
  const result: Record<string, string> = {};
  for (const row of rows) result[`table ${row.name}`] = `${row.n} rows ${row.digest}`;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path, `${prefix}${entry.name}/`);
      else result[`file ${prefix}${entry.name}`] = `${(await stat(path)).size} bytes`;
    }
  };
  await walk(join(t.config.dataDir, 'storage'), '');
  return result;
}
