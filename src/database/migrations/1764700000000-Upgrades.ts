import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Upgrades1764700000000 implements MigrationInterface {
  name = 'Upgrades1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // SPEC §3.5: platform and arch are stored lowercased (arch already was); updaters match them exactly.
    await q.query(`UPDATE artifacts SET platform = lower(platform) WHERE platform <> lower(platform)`);
    await q.query(`UPDATE artifacts SET arch = lower(arch) WHERE arch <> lower(arch)`);
    // SPEC §5: upgrade candidates are PUBLISHED releases of one product and package, greatest
    // first; walking this index backwards from the current version skips drafts and yanked ones.
    await q.query(`CREATE INDEX releases_published_order_idx ON releases (product_id, package_id, sort_key) WHERE status = 'PUBLISHED'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX releases_published_order_idx`);
  }
}
