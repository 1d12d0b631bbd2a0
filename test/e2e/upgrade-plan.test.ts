import type { Bearer } from '../../src/auth/bearer.js';
import type { RequestContext } from '../../src/auth/decorators.js';
import { Release } from '../../src/database/entities/release.entity.js';
import { parseVersion, versionSortKey } from '../../src/releases/version.js';
import { updaterFormats } from '../../src/upgrades/tauri-formats.js';
import { installableUpgrades } from '../../src/upgrades/tauri-queries.js';
import { parseConstraint } from '../../src/upgrades/upgrade-constraint.js';
import { upgradeCandidates, type UpgradeCriteria } from '../../src/upgrades/upgrade-queries.js';
import { createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

/**
 * SPEC §5 and §10: the upgrade lookup stays one indexed query however many releases there are.
 * Over 10,000 releases of one package, EXPLAIN must show a Limit over a backward index scan of
 * the releases' order index (the walk stops at the first candidate), and no Sort of the releases.
 */
const COUNT = 10_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

interface Row {
  version: string;
  parsed: NonNullable<ReturnType<typeof parseVersion>>;
  key: string;
  beta: boolean;
  status: string;
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe('the upgrade lookup among 10,000 releases (SPEC §5, §10)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let first: Release;
  let pro: string;
  let rows: Row[];
  const bearers: Record<string, Bearer> = {};

  beforeAll(async () => {
    // Always PostgreSQL, the production database §10 speaks of: the embedded PGlite (PostgreSQL 18,
    // one session) misestimates the NOT EXISTS on constraints and sorts the ~100 releases of a
    // constraint's range (`42`) instead of walking them, a different plan of the same bounded cost.
    t = await startApp({}, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = (await c.product({ name: 'Big', code: 'big', distributionStrategy: 'OPEN' })).id;
    const pkg = (await c.package(product, { key: 'big-app', engine: 'tauri' })).id;
    const policy = await c.policy(product);
    const license = await c.license(policy.id);
    pro = (await c.entitlement('PRO')).id;
    // 10,000 versions 0.0.0 … 99.99.0: every 10th a beta, every 7th a draft, the rest published.
    rows = Array.from({ length: COUNT }, (_, i) => {
      const beta = i % 10 === 9;
      const version = `${Math.floor(i / 100)}.${i % 100}.0${beta ? `-beta.${i}` : ''}`;
      const parsed = parseVersion(version)!;
      return { version, parsed, key: versionSortKey(parsed), beta, status: i % 7 === 3 ? 'DRAFT' : 'PUBLISHED' };
    });
    await t.db.query(
      `INSERT INTO releases (account_id, product_id, package_id, version, semver_major, semver_minor, semver_patch, semver_prerelease, sort_key, channel, status)
       SELECT $1, $2, $3, v, ma, mi, pa, pr, k, ch, st
       FROM unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[]) AS u(v, ma, mi, pa, pr, k, ch, st)`,
      [
        acme.id,
        product,
        pkg,
        rows.map((r) => r.version),
        rows.map((r) => r.parsed.major),
        rows.map((r) => r.parsed.minor),
        rows.map((r) => r.parsed.patch),
        rows.map((r) => r.parsed.prerelease?.join('.') ?? null),
        rows.map((r) => r.key),
        rows.map((r) => (r.beta ? 'beta' : 'stable')),
        rows.map((r) => r.status),
      ],
    );
    // The newest releases need an entitlement nobody holds: the walk passes over them.
    await t.db.query(
      `INSERT INTO release_constraints (account_id, release_id, entitlement_id)
       SELECT $1, id, $2 FROM releases WHERE product_id = $3 AND semver_major = 99`,
      [acme.id, pro, product],
    );
    // Files as a Tauri app ships them: a darwin bundle in two of three releases, linux in all.
    await t.db.query(
      `INSERT INTO artifacts (account_id, release_id, filename, filetype, platform, arch, signature, status, sha256, size, storage_key)
       SELECT r.account_id, r.id, 'app-' || r.version || f.suffix, 'gz', f.platform, f.arch, 'c2ln', 'UPLOADED', repeat('0', 64), 1, r.account_id || '/' || r.id
       FROM releases r
       CROSS JOIN (VALUES ('.app.tar.gz', 'darwin', 'aarch64'), ('.AppImage', 'linux', 'x86_64')) AS f(suffix, platform, arch)
       WHERE r.product_id = $1 AND (f.platform = 'linux' OR r.semver_minor % 3 <> 0)`,
      [product],
    );
    await t.db.query('ANALYZE artifacts');
    await t.db.query('ANALYZE releases');
    await t.db.query('ANALYZE release_constraints');
    first = await t.db.getRepository(Release).findOneByOrFail({ productId: product, version: '0.0.0' });
    const admin = { kind: 'user', role: 'admin', user: { id: acme.adminUserId }, token: null };
    const licensed = { kind: 'license', license: { id: license.id }, policy: { id: policy.id }, token: null };
    Object.assign(bearers, { staff: admin, anonymous: { kind: 'anonymous' }, license: licensed } as unknown as Record<string, Bearer>);
  }, 180_000);
  afterAll(() => t.close());

  const ctx = (who: string): RequestContext => ({ account: { id: acme.id } as RequestContext['account'], bearer: bearers[who], requestId: 'plan-test' });
  const criteria = (constraint?: string, channels = ['stable']): UpgradeCriteria => ({
    current: first,
    channels,
    constraint: constraint === undefined ? null : parseConstraint(constraint),
  });

  async function plan(sql: string, parameters: unknown[]): Promise<PlanNode> {
    const [row] = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql}`, parameters);
    const json = typeof row['QUERY PLAN'] === 'string' ? JSON.parse(row['QUERY PLAN']) : row['QUERY PLAN'];
    return json[0].Plan as PlanNode;
  }

  /** A Limit over a backward walk of a releases order index: no sort and no sequential scan of releases or artifacts. */
  function expectIndexWalk(root: PlanNode): void {
    const all = nodes(root);
    expect(root['Node Type']).toBe('Limit');
    // A sort of small side tables (a license's entitlements) is fine; a sort of releases is not.
    const sortsReleases = all.filter((n) => /Sort/.test(n['Node Type']) && nodes(n).some((below) => below['Relation Name'] === 'releases'));
    expect(sortsReleases).toEqual([]);
    const walk = all.find((n) => n['Relation Name'] === 'releases' && /Index/.test(n['Node Type']) && n['Scan Direction'] === 'Backward');
    expect(walk?.['Index Name']).toMatch(/^releases_(published_)?order_idx$/);
    expect(all.filter((n) => (n['Relation Name'] === 'releases' || n['Relation Name'] === 'artifacts') && n['Node Type'] === 'Seq Scan')).toEqual([]);
  }

  it.each([
    ['staff', undefined, ['stable']],
    ['anonymous', undefined, ['stable']],
    ['license', undefined, ['stable', 'rc', 'beta']],
    ['anonymous', '42', ['stable']],
    ['license', '42.7.0', ['stable']],
    ['anonymous', '^12.3 || >=50.0.0 <60', ['stable', 'rc', 'beta']],
  ])('as %s with constraint %s: one index walk with a limit', async (who, constraint, channels) => {
    const [sql, parameters] = upgradeCandidates(t.db.manager, ctx(who), criteria(constraint, channels)).limit(1).getQueryAndParameters();
    expectIndexWalk(await plan(sql, parameters));
  });

  it.each(['anonymous', 'license'])('the Tauri check as %s: the same walk, with the installable-file test as a filter on it', async (who) => {
    const target = { platform: 'darwin', arch: 'aarch64', formats: updaterFormats('darwin', undefined) };
    const [sql, parameters] = installableUpgrades(t.db.manager, ctx(who), criteria(), target).limit(1).getQueryAndParameters();
    expectIndexWalk(await plan(sql, parameters));
  });

  it('answers over HTTP: from the first release to the greatest visible one', async () => {
    const res = await t.as(null).get(`${acme.base}/releases/${first.id}/upgrade`).expect(200);
    const greatest = (keep: (r: Row) => boolean) => rows.filter((r) => r.status === 'PUBLISHED' && r.parsed.major < 99 && keep(r)).sort((a, b) => (a.key < b.key ? 1 : -1))[0].version;
    expect(res.body.meta).toEqual({ current: '0.0.0', next: greatest((r) => !r.beta) });
    const beta = await t.as(null).get(`${acme.base}/releases/${first.id}/upgrade?channel=beta&constraint=%5E12.3`).expect(200);
    expect(beta.body.meta.next).toBe(greatest((r) => r.parsed.major === 12 && r.parsed.minor >= 3));
  });
});
