import type { Bearer } from '../../src/auth/bearer.js';
import type { RequestContext } from '../../src/auth/decorators.js';
import { visibleArtifacts } from '../../src/artifacts/artifact-queries.js';
import { indexProjects, projectFiles } from '../../src/pypi/simple-queries.js';
import { parseVersion, versionSortKey } from '../../src/releases/version.js';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

/**
 * SPEC §10: a project page's render cost is linear in the page's own files and independent of
 * the rest of the account. In an account of 300 projects × 40 releases × 3 files beside one
 * project of 1,000 releases × 2 files, the page query of that project reads its releases through
 * their package index and their files and metadata by key: no sequential scan of the account's
 * releases, files or metadata. The `/simple/` index tests each project for one visible file
 * instead of reading every file of the account.
 */
const PROJECTS = 300;
const RELEASES = 40;
const BIG = 1_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];
const ACCOUNT_WIDE = ['releases', 'artifacts', 'artifact_metadata'];

describe('the PyPI page and index queries in a large account (SPEC §10)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let bigPackage: string;
  let licenseKey: string;
  const bearers: Record<string, Bearer> = {};

  beforeAll(async () => {
    // PostgreSQL, the production database §10 speaks of (as in upgrade-plan.test.ts).
    t = await startApp({}, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = (await c.product({ name: 'App', code: 'app' })).id;
    const policy = await c.policy(product);
    const license = await c.license(policy.id);
    licenseKey = license.attributes.key as string;
    bigPackage = (await c.package(product, { key: 'big-project', engine: 'pypi' })).id;
    await t.db.query(
      `INSERT INTO packages (account_id, product_id, name, key, engine)
       SELECT $1, $2, k, k, 'pypi' FROM (SELECT 'proj-' || lpad(n::text, 4, '0') AS k FROM generate_series(1, $3) n) s`,
      [acme.id, product, PROJECTS],
    );
    const versions = Array.from({ length: BIG }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
    const parsed = versions.map((v) => parseVersion(v)!);
    await t.db.query(
      `INSERT INTO releases (account_id, product_id, package_id, version, semver_major, semver_minor, semver_patch, sort_key, channel, status)
       SELECT $1, $2, p.id, u.v, u.ma, u.mi, u.pa, u.k, 'stable', 'PUBLISHED'
       FROM packages p, unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[]) WITH ORDINALITY AS u(v, ma, mi, pa, k, o)
       WHERE p.account_id = $1 AND (p.id = $8 OR (p.key LIKE 'proj-%' AND u.o <= $9))`,
      [acme.id, product, versions, parsed.map((p) => p.major), parsed.map((p) => p.minor), parsed.map((p) => p.patch), parsed.map((p) => versionSortKey(p)), bigPackage, RELEASES],
    );
    await t.db.query(
      `INSERT INTO artifacts (account_id, release_id, filename, filetype, status, sha256, size, storage_key)
       SELECT r.account_id, r.id, replace(p.key, '-', '_') || '-' || r.version || f.suffix, 'whl', 'UPLOADED', repeat('0', 64), 1, r.id || '/' || f.suffix
       FROM releases r JOIN packages p ON p.id = r.package_id
       CROSS JOIN (VALUES ('-py3-none-any.whl'), ('.tar.gz'), ('-cp311-cp311-win_amd64.whl')) AS f(suffix)
       WHERE r.account_id = $1 AND (p.key LIKE 'proj-%' OR f.suffix <> '-cp311-cp311-win_amd64.whl')`,
      [acme.id],
    );
    await t.db.query(`INSERT INTO artifact_metadata (artifact_id, account_id, requires_python) SELECT id, account_id, '>=3.8' FROM artifacts WHERE account_id = $1`, [acme.id]);
    await t.db.query(`SELECT keyshelf_bump_catalog($1, NULL)`, [acme.id]);
    for (const table of ['packages', 'releases', 'artifacts', 'artifact_metadata']) await t.db.query(`ANALYZE ${table}`);
    const productToken = { kind: 'product', product: { id: product }, token: {} };
    const licensed = { kind: 'license', license: { id: license.id }, policy: { id: policy.id }, token: null };
    const staff = { kind: 'user', role: 'admin', user: { id: acme.adminUserId }, token: null };
    Object.assign(bearers, { staff, anonymous: { kind: 'anonymous' }, license: licensed, product: productToken } as unknown as Record<string, Bearer>);
  }, 180_000);
  afterAll(() => t.close());

  const ctx = (who: string): RequestContext => ({ account: { id: acme.id } as RequestContext['account'], bearer: bearers[who], requestId: 'plan-test' });

  async function plan(sql: string, parameters: unknown[]): Promise<PlanNode> {
    const [row] = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
    const json = typeof row['QUERY PLAN'] === 'string' ? JSON.parse(row['QUERY PLAN']) : row['QUERY PLAN'];
    return json[0].Plan as PlanNode;
  }

  const seqScans = (root: PlanNode, tables: string[]) => nodes(root).filter((n) => n['Node Type'] === 'Seq Scan' && tables.includes(n['Relation Name'] ?? ''));

  it.each(['license', 'anonymous', 'product', 'staff'])('the page of the 1,000-release project as %s: its releases by package, its files and metadata by key', async (who) => {
    const [sql, parameters] = projectFiles(t.db.manager, ctx(who), bigPackage).getQueryAndParameters();
    const root = await plan(sql, parameters);
    expect(seqScans(root, ACCOUNT_WIDE)).toEqual([]);
    const indexes = nodes(root).flatMap((n) => n['Index Name'] ?? []);
    expect(indexes).toContain('releases_package_idx');
    expect(indexes).toContain('artifacts_release_filename_key');
    expect(indexes).toContain('artifact_metadata_pkey');
  });

  it.each(['license', 'anonymous', 'product', 'staff'])('the index as %s: one existence test per project, no scan of the account files', async (who) => {
    const [sql, parameters] = indexProjects(t.db.manager, ctx(who)).getQueryAndParameters();
    const root = await plan(sql, parameters);
    expect(seqScans(root, ACCOUNT_WIDE)).toEqual([]);
    // Nothing made distinct or grouped over the account's files (the license's entitlements may be).
    const overFiles = nodes(root).filter((n) => /Aggregate|Unique/.test(n['Node Type']) && nodes(n).some((below) => below['Relation Name'] === 'artifacts'));
    expect(overFiles).toEqual([]);
  });

  it('answers the page and the index over HTTP with every file and project', async () => {
    const simple = `${acme.base}/engines/pypi/simple`;
    const auth = basic('license', licenseKey);
    const page = await t.as(auth).get(`${simple}/big-project/`).set('Accept', 'text/html').expect(200);
    const files = [...page.text.matchAll(/<a [^>]*>([^<]*)<\/a>/g)].map((m) => m[1]);
    expect(files).toHaveLength(BIG * 2);
    expect(files.slice(0, 3)).toEqual(['big_project-1.0.0-py3-none-any.whl', 'big_project-1.0.0.tar.gz', 'big_project-1.0.1-py3-none-any.whl']);
    expect(files.at(-1)).toBe('big_project-1.9.99.tar.gz');
    const index = await t.as(auth).get(`${simple}/`).set('Accept', 'text/html').expect(200);
    const names = [...index.text.matchAll(/<a [^>]*>([^<]*)<\/a>/g)].map((m) => m[1]);
    expect(names).toHaveLength(PROJECTS + 1);
    expect(names.slice(0, 2)).toEqual(['big-project', 'proj-0001']);
    expect((await t.as(null).get(`${simple}/`).set('Accept', 'text/html').expect(200)).text).not.toContain('<a ');
    expect((await t.as(bearer(acme.adminToken)).get(`${simple}/big-project/`).expect(200)).text).toContain('big_project-1.9.99.tar.gz');
  });
});

/**
 * The page and index queries read the bearer's licenses once (a CTE) and start from the
 * project's releases; the rules are still `scopeVisibleReleases`'s. For bearers across SPEC §4's
 * cases, they list exactly the files and projects the visible-artifact scope lists.
 */
describe('the PyPI page and index queries see what the visible-artifact scope sees (SPEC §4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const packages: Record<string, string> = {};
  const bearers: Record<string, Bearer> = {};

  beforeAll(async () => {
    t = await startApp({}, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const licensed = (await c.product({ name: 'Licensed', code: 'lic' })).id;
    const open = (await c.product({ name: 'Open', code: 'open', distributionStrategy: 'OPEN' })).id;
    for (const [key, product] of [['lic-one', licensed], ['lic-two', licensed], ['open-one', open]]) packages[key] = (await c.package(product, { key, engine: 'pypi' })).id;
    const gold = (await c.entitlement('GOLD')).id;
    const policy = async (strategy: string) => (await c.policy(licensed, { expirationStrategy: strategy })).id;
    const restrict = await policy('RESTRICT_ACCESS');
    const revoke = await policy('REVOKE_ACCESS');
    const allow = await policy('ALLOW_ACCESS');
    const [{ id: customer }] = await t.db.query(`INSERT INTO users (account_id, email, role) VALUES ($1, 'customer@acme.test', 'user') RETURNING id`, [acme.id]);
    const license = async (policyId: string, state: { expiry?: string; suspended?: boolean; gold?: boolean; user?: string } = {}) => {
      const created = await c.license(policyId, {}, state.user);
      await t.db.query(`UPDATE licenses SET expiry = $2, suspended = $3 WHERE id = $1`, [created.id, state.expiry ?? null, state.suspended ?? false]);
      if (state.gold) await c.attach(`licenses/${created.id}`, [gold]);
      return { kind: 'license', license: { id: created.id }, policy: { id: policyId }, token: null };
    };
    // Releases one minute apart from 2026-01-01: a window ending at 00:20 sees the first twenty.
    const window = '2026-01-01T00:20:00Z';
    Object.assign(bearers, {
      plain: await license(restrict),
      gold: await license(restrict, { gold: true }),
      windowed: await license(restrict, { expiry: window }),
      suspended: await license(restrict, { suspended: true }),
      revoked: await license(revoke, { expiry: '2026-01-02T00:00:00Z' }),
      allowed: await license(allow, { expiry: window }),
      customer: { kind: 'user', role: 'user', user: { id: customer }, token: null },
      anonymous: { kind: 'anonymous' },
      product: { kind: 'product', product: { id: licensed }, token: {} },
      staff: { kind: 'user', role: 'admin', user: { id: acme.adminUserId }, token: null },
    } as unknown as Record<string, Bearer>);
    await license(restrict, { expiry: window, user: customer });
    await license(restrict, { gold: true, expiry: '2026-01-01T00:30:00Z', user: customer });
    const versions = Array.from({ length: 40 }, (_, i) => `2.0.${i}`);
    const parsed = versions.map((v) => parseVersion(v)!);
    // Every 7th a draft, every 9th yanked, every 4th needs GOLD, every 5th backdated into the window.
    await t.db.query(
      `INSERT INTO releases (account_id, product_id, package_id, version, semver_major, semver_minor, semver_patch, sort_key, channel, status, created_at, backdated)
       SELECT $1, p.product_id, p.id, u.v, u.ma, u.mi, u.pa, u.k, 'stable',
              CASE WHEN u.o % 7 = 0 THEN 'DRAFT' WHEN u.o % 9 = 0 THEN 'YANKED' ELSE 'PUBLISHED' END,
              timestamptz '2026-01-01' + u.o * interval '1 minute',
              CASE WHEN u.o % 5 = 0 THEN timestamptz '2025-12-31' END
       FROM packages p, unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) WITH ORDINALITY AS u(v, ma, mi, pa, k, o)
       WHERE p.account_id = $1`,
      [acme.id, versions, parsed.map((p) => p.major), parsed.map((p) => p.minor), parsed.map((p) => p.patch), parsed.map((p) => versionSortKey(p))],
    );
    await t.db.query(
      `INSERT INTO release_constraints (account_id, release_id, entitlement_id)
       SELECT account_id, id, $2 FROM releases WHERE account_id = $1 AND semver_patch % 4 = 0`,
      [acme.id, gold],
    );
    // Two files per release, the second WAITING in every 6th; 'lic-two' only has files in its drafts.
    await t.db.query(
      `INSERT INTO artifacts (account_id, release_id, filename, filetype, status, sha256, size, storage_key)
       SELECT r.account_id, r.id, replace(p.key, '-', '_') || '-' || r.version || f.suffix, 'whl',
              CASE WHEN f.suffix = '.tar.gz' AND r.semver_patch % 6 = 0 THEN 'WAITING' ELSE 'UPLOADED' END, repeat('0', 64), 1, r.id || f.suffix
       FROM releases r JOIN packages p ON p.id = r.package_id CROSS JOIN (VALUES ('-py3-none-any.whl'), ('.tar.gz')) AS f(suffix)
       WHERE r.account_id = $1 AND (p.key <> 'lic-two' OR r.status = 'DRAFT')`,
      [acme.id],
    );
  }, 180_000);
  afterAll(() => t.close());

  const ctx = (who: string): RequestContext => ({ account: { id: acme.id } as RequestContext['account'], bearer: bearers[who], requestId: 'scope-test' });
  const seen: Record<string, string[]> = {};

  it.each(['plain', 'gold', 'windowed', 'suspended', 'revoked', 'allowed', 'customer', 'anonymous', 'product', 'staff'])('as %s', async (who) => {
    for (const key of Object.keys(packages)) {
      const page = (await projectFiles(t.db.manager, ctx(who), packages[key]).getRawMany<{ id: string }>()).map((row) => row.id);
      const scoped = await visibleArtifacts(t.db.manager, ctx(who))
        .andWhere(`ar.package_id = :pkg AND a.status = 'UPLOADED'`, { pkg: packages[key] })
        .orderBy('ar.sort_key')
        .addOrderBy('a.filename')
        .getMany();
      expect(page).toEqual(scoped.map((a) => a.id));
      seen[`${who} ${key}`] = page;
    }
    const index = (await indexProjects(t.db.manager, ctx(who)).getRawMany<{ key: string }>()).map((row) => row.key);
    const withFiles = Object.keys(packages).filter((key) => seen[`${who} ${key}`].length > 0);
    expect(index).toEqual(withFiles);
  });

  it('tells the bearers apart: the cases above are not all the same view', () => {
    const views = new Set(['plain', 'gold', 'windowed', 'suspended', 'revoked', 'allowed', 'customer', 'anonymous', 'product', 'staff'].map((who) => Object.keys(packages).map((key) => seen[`${who} ${key}`].join(',')).join('/')));
    // plain = allowed (no window) and suspended = revoked = anonymous; every other view differs.
    expect(views.size).toBe(7);
  });
});
