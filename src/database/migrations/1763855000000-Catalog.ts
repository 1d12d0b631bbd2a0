import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Catalog1763855000000 implements MigrationInterface {
  name = 'Catalog1763855000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        name text NOT NULL,
        code text,
        distribution_strategy text NOT NULL DEFAULT 'LICENSED' CHECK (distribution_strategy IN ('LICENSED', 'OPEN', 'CLOSED')),
        url text,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX products_account_code_key ON products (account_id, lower(code)) WHERE code IS NOT NULL`);
    await q.query(`CREATE INDEX products_account_created_idx ON products (account_id, created_at, id)`);

    await q.query(`
      CREATE TABLE packages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        name text NOT NULL,
        key text NOT NULL,
        engine text CHECK (engine IN ('pypi', 'tauri', 'generic')),
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX packages_account_key_key ON packages (account_id, lower(key))`);
    await q.query(`CREATE INDEX packages_product_idx ON packages (product_id)`);
    await q.query(`CREATE INDEX packages_account_engine_idx ON packages (account_id, engine)`);
    await q.query(`CREATE INDEX packages_account_created_idx ON packages (account_id, created_at, id)`);

    await q.query(`
      CREATE TABLE engines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        key text NOT NULL CHECK (key IN ('pypi', 'tauri', 'generic')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX engines_account_key_key ON engines (account_id, key)`);

    await q.query(`
      CREATE TABLE entitlements (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        name text NOT NULL,
        code text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX entitlements_account_code_key ON entitlements (account_id, lower(code))`);
    await q.query(`CREATE INDEX entitlements_account_created_idx ON entitlements (account_id, created_at, id)`);

    await q.query(`
      CREATE TABLE policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        name text NOT NULL,
        duration integer CHECK (duration > 0),
        expiration_strategy text NOT NULL DEFAULT 'RESTRICT_ACCESS'
          CHECK (expiration_strategy IN ('RESTRICT_ACCESS', 'REVOKE_ACCESS', 'MAINTAIN_ACCESS', 'ALLOW_ACCESS')),
        authentication_strategy text NOT NULL DEFAULT 'MIXED' CHECK (authentication_strategy IN ('TOKEN', 'LICENSE', 'MIXED', 'NONE')),
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX policies_product_idx ON policies (product_id)`);
    await q.query(`CREATE INDEX policies_account_created_idx ON policies (account_id, created_at, id)`);

    await q.query(`
      CREATE TABLE policy_entitlements (
        policy_id uuid NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
        entitlement_id uuid NOT NULL REFERENCES entitlements (id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (policy_id, entitlement_id)
      )`);
    await q.query(`CREATE INDEX policy_entitlements_entitlement_idx ON policy_entitlements (entitlement_id)`);

    await q.query(`
      CREATE TABLE licenses (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        policy_id uuid NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
        product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        name text,
        key_digest text NOT NULL,
        expiry timestamptz,
        suspended boolean NOT NULL DEFAULT false,
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX licenses_account_key_key ON licenses (account_id, key_digest)`);
    await q.query(`CREATE INDEX licenses_policy_idx ON licenses (policy_id)`);
    await q.query(`CREATE INDEX licenses_product_idx ON licenses (product_id)`);
    await q.query(`CREATE INDEX licenses_user_idx ON licenses (user_id) WHERE user_id IS NOT NULL`);
    await q.query(`CREATE INDEX licenses_account_created_idx ON licenses (account_id, created_at, id)`);

    await q.query(`
      CREATE TABLE license_entitlements (
        license_id uuid NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
        entitlement_id uuid NOT NULL REFERENCES entitlements (id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (license_id, entitlement_id)
      )`);
    await q.query(`CREATE INDEX license_entitlements_entitlement_idx ON license_entitlements (entitlement_id)`);

    await q.query(`ALTER TABLE tokens ADD COLUMN product_id uuid REFERENCES products (id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE tokens ADD COLUMN license_id uuid REFERENCES licenses (id) ON DELETE CASCADE`);
    await q.query(`ALTER TABLE tokens ADD CONSTRAINT tokens_one_bearer CHECK (num_nonnulls(user_id, product_id, license_id) = 1)`);
    await q.query(`CREATE INDEX tokens_product_idx ON tokens (product_id) WHERE product_id IS NOT NULL`);
    await q.query(`CREATE INDEX tokens_license_idx ON tokens (license_id) WHERE license_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tokens DROP CONSTRAINT tokens_one_bearer`);
    await q.query(`ALTER TABLE tokens DROP COLUMN license_id`);
    await q.query(`ALTER TABLE tokens DROP COLUMN product_id`);
    for (const table of ['license_entitlements', 'licenses', 'policy_entitlements', 'policies', 'entitlements', 'engines', 'packages', 'products']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
