import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { startApp } from '../support/app.js';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';

/**
 * SPEC §3.5: platform and arch are stored lowercased. Rows written before that rule (platform kept
 * as sent) are lowercased by the migration that brings the upgrade lookup's index.
 */
describe('the Upgrades migration', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase();
  });
  afterAll(() => dropTestDatabase(url));

  it('lowercases the platform and arch of existing artifacts and adds the upgrade index', async () => {
    const before = MIGRATIONS.findIndex((m) => m.name.startsWith('Upgrades'));
    const old = new DataSource({ ...dataSourceOptions({ kind: 'url', url }), migrations: MIGRATIONS.slice(0, before) });
    await old.initialize();
    await old.runMigrations();
    const [account] = await old.query(`INSERT INTO accounts (slug, name) VALUES ('acme', 'Acme') RETURNING id`);
    const [product] = await old.query(`INSERT INTO products (account_id, name) VALUES ($1, 'App') RETURNING id`, [account.id]);
    const [release] = await old.query(
      `INSERT INTO releases (account_id, product_id, version, semver_major, semver_minor, semver_patch, sort_key, channel)
       VALUES ($1, $2, '1.0.0', 1, 0, 0, 'k', 'stable') RETURNING id`,
      [account.id, product.id],
    );
    await old.query(`INSERT INTO artifacts (account_id, release_id, filename, platform, arch) VALUES ($1, $2, 'a.zip', 'Darwin', 'AARCH64'), ($1, $2, 'b.zip', NULL, NULL)`, [account.id, release.id]);
    await old.destroy();

    const t = await startApp({}, { databaseUrl: url });
    try {
      const rows = await t.db.query(`SELECT filename, platform, arch FROM artifacts ORDER BY filename`);
      expect(rows).toEqual([
        { filename: 'a.zip', platform: 'darwin', arch: 'aarch64' },
        { filename: 'b.zip', platform: null, arch: null },
      ]);
      const [index] = await t.db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'releases_published_order_idx'`);
      expect(index.indexdef).toContain(`WHERE (status = 'PUBLISHED'::text)`);
    } finally {
      await t.close();
    }
  });
});
