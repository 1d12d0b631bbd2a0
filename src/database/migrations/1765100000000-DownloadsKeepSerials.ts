import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A download counts itself (`artifacts.downloads + 1`, SPEC §3.5) and changes nothing a page,
 * an index or an upgrade answer shows: it must not move the catalog serials, or every `pip
 * install` would throw away the account's rendered pages and every polling updater would
 * re-resolve its answer. An update of an artifact that changes only `downloads` (and the
 * timestamp that goes with it) leaves the serials as they are; every other write moves them as
 * before.
 */
export class DownloadsKeepSerials1765100000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION keyshelf_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'artifacts'
          AND (to_jsonb(OLD) - 'downloads' - 'updated_at') = (to_jsonb(NEW) - 'downloads' - 'updated_at') THEN
          RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN PERFORM keyshelf_catalog_row(TG_TABLE_NAME, to_jsonb(OLD)); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM keyshelf_catalog_row(TG_TABLE_NAME, to_jsonb(NEW)); END IF;
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION keyshelf_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM keyshelf_catalog_row(TG_TABLE_NAME, to_jsonb(OLD)); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM keyshelf_catalog_row(TG_TABLE_NAME, to_jsonb(NEW)); END IF;
        RETURN NULL;
      END $$`);
  }
}
