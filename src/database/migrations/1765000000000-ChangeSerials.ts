import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change serials (SPEC §9: caches are validated against the database). Every instance keeps
 * short in-process caches (resolved credentials, upgrade lookups, rendered PyPI pages) and checks
 * them on each request against these counters, read in the same query as the account:
 * - `account_serials.auth_serial`: bumped by every write that changes what a credential
 *   resolves to or what a bearer may see (tokens, users, licenses, policies, products,
 *   entitlements and their links, the account itself);
 * - `account_serials.catalog_serial`: bumped by every write to the account's catalog (packages,
 *   releases, their constraints, artifacts and their metadata);
 * - `package_serials.serial`: the same writes, per package (a project page depends on its own
 *   package only).
 * The bumps are deferred constraint triggers: they run at commit, inside the writing
 * transaction, so a reader never sees new data under an old serial; they touch the account row
 * before any package row (one lock order), and a transaction bumps each counter once however
 * many rows it writes (`*_xact`).
 */
export class ChangeSerials1765000000000 implements MigrationInterface {
  name = 'ChangeSerials1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account_serials (
        account_id uuid PRIMARY KEY,
        auth_serial bigint NOT NULL DEFAULT 1,
        catalog_serial bigint NOT NULL DEFAULT 1,
        auth_xact xid8,
        catalog_xact xid8
      )`);
    await q.query(`
      CREATE TABLE package_serials (
        package_id uuid PRIMARY KEY,
        account_id uuid NOT NULL,
        serial bigint NOT NULL DEFAULT 1,
        xact xid8
      )`);
    await q.query(`
      CREATE FUNCTION keyshelf_bump_auth(p_account uuid) RETURNS void LANGUAGE sql AS $$
        INSERT INTO account_serials AS s (account_id, auth_serial, auth_xact) VALUES (p_account, 2, pg_current_xact_id())
        ON CONFLICT (account_id) DO UPDATE SET auth_serial = s.auth_serial + 1, auth_xact = pg_current_xact_id()
        WHERE s.auth_xact IS DISTINCT FROM pg_current_xact_id()
      $$`);
    await q.query(`
      CREATE FUNCTION keyshelf_bump_catalog(p_account uuid, p_package uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF p_account IS NULL THEN RETURN; END IF;
        INSERT INTO account_serials AS s (account_id, catalog_serial, catalog_xact) VALUES (p_account, 2, pg_current_xact_id())
        ON CONFLICT (account_id) DO UPDATE SET catalog_serial = s.catalog_serial + 1, catalog_xact = pg_current_xact_id()
        WHERE s.catalog_xact IS DISTINCT FROM pg_current_xact_id();
        IF p_package IS NOT NULL THEN
          INSERT INTO package_serials AS s (package_id, account_id, serial, xact) VALUES (p_package, p_account, 2, pg_current_xact_id())
          ON CONFLICT (package_id) DO UPDATE SET serial = s.serial + 1, xact = pg_current_xact_id()
          WHERE s.xact IS DISTINCT FROM pg_current_xact_id();
        END IF;
      END $$`);
    // Credentials and visibility: the account of the row written.
    await q.query(`
      CREATE FUNCTION keyshelf_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM keyshelf_bump_auth(OLD.account_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM keyshelf_bump_auth(NEW.account_id); END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION keyshelf_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM keyshelf_bump_auth(OLD.id);
        RETURN NULL;
      END $$`);
    // The catalog: packages, releases, and what hangs off a release (through its package).
    await q.query(`
      CREATE FUNCTION keyshelf_catalog_row(tbl text, r jsonb) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        pkg uuid;
      BEGIN
        CASE tbl
          WHEN 'packages' THEN pkg := (r->>'id')::uuid;
          WHEN 'releases' THEN pkg := (r->>'package_id')::uuid;
          WHEN 'artifacts', 'release_constraints' THEN
            SELECT rel.package_id INTO pkg FROM releases rel WHERE rel.id = (r->>'release_id')::uuid;
          WHEN 'artifact_metadata' THEN
            SELECT rel.package_id INTO pkg FROM artifacts a JOIN releases rel ON rel.id = a.release_id WHERE a.id = (r->>'artifact_id')::uuid;
        END CASE;
        PERFORM keyshelf_bump_catalog((r->>'account_id')::uuid, pkg);
      END $$`);
    await q.query(`
      CREATE FUNCTION keyshelf_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN PERFORM keyshelf_catalog_row(TG_TABLE_NAME, to_jsonb(OLD)); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM keyshelf_catalog_row(TG_TABLE_NAME, to_jsonb(NEW)); END IF;
        RETURN NULL;
      END $$`);
    for (const table of ['tokens', 'users', 'licenses', 'policies', 'products', 'entitlements', 'license_entitlements', 'policy_entitlements']) {
      await q.query(`
        CREATE CONSTRAINT TRIGGER ${table}_auth_serial AFTER INSERT OR UPDATE OR DELETE ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION keyshelf_auth_changed()`);
    }
    await q.query(`
      CREATE CONSTRAINT TRIGGER accounts_auth_serial AFTER UPDATE OR DELETE ON accounts
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION keyshelf_account_changed()`);
    for (const table of ['packages', 'releases', 'release_constraints', 'artifacts', 'artifact_metadata']) {
      await q.query(`
        CREATE CONSTRAINT TRIGGER ${table}_catalog_serial AFTER INSERT OR UPDATE OR DELETE ON ${table}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION keyshelf_catalog_changed()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['packages', 'releases', 'release_constraints', 'artifacts', 'artifact_metadata']) {
      await q.query(`DROP TRIGGER ${table}_catalog_serial ON ${table}`);
    }
    await q.query(`DROP TRIGGER accounts_auth_serial ON accounts`);
    for (const table of ['tokens', 'users', 'licenses', 'policies', 'products', 'entitlements', 'license_entitlements', 'policy_entitlements']) {
      await q.query(`DROP TRIGGER ${table}_auth_serial ON ${table}`);
    }
    await q.query(`DROP FUNCTION keyshelf_catalog_changed(), keyshelf_catalog_row(text, jsonb), keyshelf_account_changed(), keyshelf_auth_changed(), keyshelf_bump_catalog(uuid, uuid), keyshelf_bump_auth(uuid)`);
    await q.query(`DROP TABLE package_serials`);
    await q.query(`DROP TABLE account_serials`);
  }
}
