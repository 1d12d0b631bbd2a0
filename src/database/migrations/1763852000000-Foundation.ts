import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763852000000 implements MigrationInterface {
  name = 'Foundation1763852000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX accounts_slug_key ON accounts (lower(slug))`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        email text NOT NULL,
        name text,
        role text NOT NULL CHECK (role IN ('admin', 'developer', 'read-only', 'user')),
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_account_email_key ON users (account_id, lower(email))`);
    await q.query(`CREATE INDEX users_account_created_idx ON users (account_id, created_at, id)`);

    await q.query(`
      CREATE TABLE tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('admin', 'developer', 'read-only', 'user', 'product', 'license')),
        name text,
        digest text NOT NULL,
        expiry timestamptz,
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX tokens_digest_key ON tokens (digest)`);
    await q.query(`CREATE INDEX tokens_account_created_idx ON tokens (account_id, created_at, id)`);
    await q.query(`CREATE INDEX tokens_user_idx ON tokens (user_id)`);

    await q.query(`
      CREATE TABLE event_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        event text NOT NULL,
        resource_type text NOT NULL,
        resource_id uuid NOT NULL,
        bearer_type text,
        bearer_id uuid,
        request_id text,
        metadata jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX event_logs_account_created_idx ON event_logs (account_id, created_at, id)`);
    await q.query(`CREATE INDEX event_logs_account_resource_idx ON event_logs (account_id, resource_id)`);
    await q.query(`CREATE INDEX event_logs_account_event_idx ON event_logs (account_id, event)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_logs`);
    await q.query(`DROP TABLE tokens`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE accounts`);
  }
}
