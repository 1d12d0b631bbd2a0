// Deterministic datasets for the harness, written in bulk with SQL (the rows the API would
// write, without thousands of HTTP calls), then the change serials moved once so that no
// instance keeps anything from before. Names, versions and digests are functions of indexes.
import pg from 'pg';

const dist = (path) => import(new URL(`../dist/src/${path}`, import.meta.url));
export const SECRET_KEY = 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** `count` versions: 1.0.0, 1.0.1, … (100 patches per minor), with their stored ordering columns. */
export async function versions(count) {
  const { parseVersion, versionSortKey } = await dist('releases/version.js');
  const list = Array.from({ length: count }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
  const parsed = list.map((v) => parseVersion(v));
  return { list, major: parsed.map((p) => p.major), minor: parsed.map((p) => p.minor), patch: parsed.map((p) => p.patch), sortKey: parsed.map((p) => versionSortKey(p)) };
}

/** Runs `work` with a client whose writes fire no triggers (bulk seeding), then moves every serial of the account. */
export async function bulk(url, accountId, work) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET session_replication_role = replica`);
    await work(client);
    await client.query(`SET session_replication_role = DEFAULT`);
    await client.query(`SELECT keyshelf_bump_auth($1)`, [accountId]);
    await client.query(`SELECT keyshelf_bump_catalog($1, NULL)`, [accountId]);
    await client.query(`ANALYZE`);
  } finally {
    await client.end();
  }
}

/** An account with a LICENSED product, a policy and a license whose key is returned. */
export async function account(client, slug) {
  const { keyDigest } = await dist('auth/secrets.js');
  const key = `BENCH-${slug.toUpperCase()}-LICENSE-KEY`;
  const { rows } = await client.query(
    `WITH a AS (INSERT INTO accounts (slug, name) VALUES ($1, $1) RETURNING id),
          p AS (INSERT INTO products (account_id, name, code) SELECT id, 'App', 'app' FROM a RETURNING id, account_id),
          po AS (INSERT INTO policies (account_id, product_id, name) SELECT account_id, id, 'Standard' FROM p RETURNING id, account_id, product_id),
          l AS (INSERT INTO licenses (account_id, policy_id, product_id, key_digest) SELECT account_id, id, product_id, $2 FROM po RETURNING id)
     SELECT (SELECT id FROM a) AS account_id, (SELECT id FROM p) AS product_id, (SELECT id FROM l) AS license_id`,
    [slug, keyDigest(SECRET_KEY, key)],
  );
  return { ...rows[0], key };
}

/**
 * `projects` PyPI projects `prefix-0000`… of `releases` published versions with `files` files
 * each (a pure wheel, a platform wheel, an sdist), in one statement per table.
 */
export async function pypiProjects(client, { accountId, productId, prefix, projects, releases, files }) {
  const v = await versions(releases);
  await client.query(`INSERT INTO engines (account_id, key) VALUES ($1, 'pypi') ON CONFLICT DO NOTHING`, [accountId]);
  await client.query(
    `INSERT INTO packages (account_id, product_id, name, key, engine)
     SELECT $1, $2, k, k, 'pypi' FROM (SELECT $3 || '-' || lpad(n::text, 4, '0') AS k FROM generate_series(0, $4 - 1) n) s`,
    [accountId, productId, prefix, projects],
  );
  await client.query(
    `INSERT INTO releases (account_id, product_id, package_id, version, semver_major, semver_minor, semver_patch, sort_key, channel, status, created_at)
     SELECT $1, $2, p.id, u.v, u.ma, u.mi, u.pa, u.k, 'stable', 'PUBLISHED', timestamptz '2026-01-01' + (u.o * interval '1 minute')
     FROM packages p, unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[]) WITH ORDINALITY AS u(v, ma, mi, pa, k, o)
     WHERE p.account_id = $1 AND p.key LIKE $3 || '-%'`,
    [accountId, productId, prefix, v.list, v.major, v.minor, v.patch, v.sortKey],
  );
  const kinds = ['-py3-none-any.whl', '-cp311-cp311-manylinux_2_17_x86_64.whl', '.tar.gz'].slice(0, files);
  await client.query(
    `INSERT INTO artifacts (account_id, release_id, filename, filetype, filesize, status, sha256, size, storage_key, created_at)
     SELECT r.account_id, r.id, f.name, CASE WHEN f.suffix LIKE '%.whl' THEN 'whl' ELSE 'tar.gz' END, 4194304, 'UPLOADED',
            encode(sha256(convert_to(f.name, 'UTF8')), 'hex'), 4194304, 'bench/' || r.id || '/' || f.n, r.created_at
     FROM releases r JOIN packages p ON p.id = r.package_id,
          LATERAL (SELECT s.n, s.suffix, replace(p.key, '-', '_') || '-' || r.version || s.suffix AS name FROM unnest($3::text[]) WITH ORDINALITY AS s(suffix, n)) f
     WHERE r.account_id = $1 AND p.key LIKE $2 || '-%'`,
    [accountId, prefix, kinds],
  );
  await client.query(
    `INSERT INTO artifact_metadata (artifact_id, account_id, requires_python)
     SELECT a.id, a.account_id, '>=3.8' FROM artifacts a JOIN releases r ON r.id = a.release_id JOIN packages p ON p.id = r.package_id
     WHERE a.account_id = $1 AND p.key LIKE $2 || '-%'`,
    [accountId, prefix],
  );
}
