import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every filename ever published into a package through an engine, with the sha256 of its
 * bytes: PyPI never accepts a used filename again with other bytes, even after the file was
 * deleted (SPEC §6.1). Rows go with their package.
 */
export class PackageFilenames1764800000000 implements MigrationInterface {
  name = 'PackageFilenames1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE package_filenames (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        package_id uuid NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
        filename text NOT NULL,
        sha256 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX package_filenames_key ON package_filenames (package_id, lower(filename))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE package_filenames`);
  }
}
