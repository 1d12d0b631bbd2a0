import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Distribution1763858000000 implements MigrationInterface {
  name = 'Distribution1763858000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE releases (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        package_id uuid REFERENCES packages (id) ON DELETE CASCADE,
        version text NOT NULL,
        semver_major bigint NOT NULL,
        semver_minor bigint NOT NULL,
        semver_patch bigint NOT NULL,
        semver_prerelease text,
        semver_build text,
        sort_key text COLLATE "C" NOT NULL,
        channel text NOT NULL CHECK (channel IN ('stable', 'rc', 'beta', 'alpha', 'dev')),
        status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED', 'YANKED')),
        tag text,
        name text,
        description text,
        backdated timestamptz,
        yanked_at timestamptz,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One version per (product, package), also for releases without a package.
    const scope = `product_id, COALESCE(package_id, '00000000-0000-0000-0000-000000000000'::uuid)`;
    await q.query(`CREATE UNIQUE INDEX releases_version_key ON releases (${scope}, version)`);
    await q.query(`CREATE UNIQUE INDEX releases_tag_key ON releases (${scope}, tag) WHERE tag IS NOT NULL`);
    await q.query(`CREATE INDEX releases_order_idx ON releases (product_id, package_id, sort_key)`);
    await q.query(`CREATE INDEX releases_account_created_idx ON releases (account_id, created_at, id)`);
    await q.query(`CREATE INDEX releases_account_version_idx ON releases (account_id, version)`);
    await q.query(`CREATE INDEX releases_package_idx ON releases (package_id) WHERE package_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE release_constraints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        release_id uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
        entitlement_id uuid NOT NULL REFERENCES entitlements (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX release_constraints_key ON release_constraints (release_id, entitlement_id)`);
    await q.query(`CREATE INDEX release_constraints_entitlement_idx ON release_constraints (entitlement_id)`);

    await q.query(`
      CREATE TABLE artifacts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        release_id uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
        filename text NOT NULL,
        filetype text,
        filesize bigint CHECK (filesize >= 0),
        platform text,
        arch text,
        checksum text,
        signature text,
        metadata jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'WAITING' CHECK (status IN ('WAITING', 'UPLOADED', 'FAILED')),
        sha256 text,
        size bigint,
        storage_key text,
        downloads bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX artifacts_release_filename_key ON artifacts (release_id, lower(filename))`);
    await q.query(`CREATE INDEX artifacts_account_filename_idx ON artifacts (account_id, lower(filename))`);
    await q.query(`CREATE INDEX artifacts_account_created_idx ON artifacts (account_id, created_at, id)`);
    await q.query(`CREATE INDEX artifacts_storage_key_idx ON artifacts (storage_key) WHERE storage_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE artifacts`);
    await q.query(`DROP TABLE release_constraints`);
    await q.query(`DROP TABLE releases`);
  }
}
