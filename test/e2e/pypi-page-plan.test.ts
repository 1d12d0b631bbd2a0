import type { Bearer } from '../../src/auth/bearer.js';
import type { RequestContext } from '../../src/auth/decorators.js';
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
