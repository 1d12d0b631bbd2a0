import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The PyPI engine (SPEC §6.1):
 * - `artifact_metadata`: a distribution's Requires-Python and a wheel's METADATA file;
 * - artifacts found by sha256 (`/engines/pypi/files/{sha256}/{filename}`);
 * - filenames ever published are kept by package key rather than by package row, so deleting a
 *   project and creating it again does not free its old filenames (PyPI never does either).
 */
export class PypiIndex1764900000000 implements MigrationInterface {
  name = 'PypiIndex1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE artifact_metadata (
        artifact_id uuid PRIMARY KEY REFERENCES artifacts (id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        requires_python text,
        content bytea,
        sha256 text,
        CHECK ((content IS NULL) = (sha256 IS NULL))
      )`);
    await q.query(`CREATE INDEX artifacts_account_sha256_idx ON artifacts (account_id, sha256) WHERE sha256 IS NOT NULL`);
    await q.query(`ALTER TABLE package_filenames ADD COLUMN package_key text`);
    await q.query(`UPDATE package_filenames f SET package_key = p.key FROM packages p WHERE p.id = f.package_id`);
    await q.query(`ALTER TABLE package_filenames ALTER COLUMN package_key SET NOT NULL`);
    await q.query(`DROP INDEX package_filenames_key`);
    await q.query(`ALTER TABLE package_filenames DROP COLUMN package_id`);
    await q.query(`CREATE UNIQUE INDEX package_filenames_key ON package_filenames (account_id, lower(package_key), lower(filename))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX package_filenames_key`);
    await q.query(`DELETE FROM package_filenames f WHERE NOT EXISTS (SELECT 1 FROM packages p WHERE p.account_id = f.account_id AND lower(p.key) = lower(f.package_key))`);
    await q.query(`ALTER TABLE package_filenames ADD COLUMN package_id uuid REFERENCES packages (id) ON DELETE CASCADE`);
    await q.query(`UPDATE package_filenames f SET package_id = p.id FROM packages p WHERE p.account_id = f.account_id AND lower(p.key) = lower(f.package_key)`);
    await q.query(`ALTER TABLE package_filenames ALTER COLUMN package_id SET NOT NULL, DROP COLUMN package_key`);
    await q.query(`CREATE UNIQUE INDEX package_filenames_key ON package_filenames (package_id, lower(filename))`);
    await q.query(`DROP INDEX artifacts_account_sha256_idx`);
    await q.query(`DROP TABLE artifact_metadata`);
  }
}
