import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { footprint, genericUrl } from '../support/generic.js';

/**
 * Who may do what on the generic registry (SPEC §4, §6.3), through HTTP on PostgreSQL: reads
 * are 200, 404 — or 401 with a Basic challenge for an anonymous caller where the package exists;
 * writes are 401 anonymously, 403 for bearers that see but may not write, 404 where hidden.
 */
type Bearer = 'admin' | 'developer' | 'read-only' | 'own product token' | 'other product token' | 'license (Basic)' | 'license (License)' | 'license of another product' | 'anonymous';
type Target = 'LICENSED' | 'OPEN';
type Action = 'GET file' | 'HEAD file' | 'list versions' | 'list files' | 'PUT file' | 'DELETE file' | 'DELETE version';

const BEARERS: Bearer[] = ['admin', 'developer', 'read-only', 'own product token', 'other product token', 'license (Basic)', 'license (License)', 'license of another product', 'anonymous'];

/** The oracle, from SPEC §4: what each bearer sees and writes. The LICENSED package is the app product's. */
function expected(action: Action, who: Bearer, target: Target): number {
  const sees = target === 'OPEN' || !['other product token', 'license of another product', 'anonymous'].includes(who);
  const writes = ['admin', 'developer'].includes(who) || (who === 'own product token' && target === 'LICENSED');
  const reading = action.startsWith('GET') || action.startsWith('HEAD') || action.startsWith('list');
  if (reading) return sees ? 200 : who === 'anonymous' ? 401 : 404;
  if (who === 'anonymous') return 401;
  // A bearer that may never write gets its 403 before the upload is read (SPEC §4).
  if (action === 'PUT file' && (who.startsWith('license') || who === 'read-only')) return 403;
  if (!sees) return 404;
  if (!writes) return 403;
  return action === 'PUT file' ? 201 : 204;
}

describe('generic registry access (SPEC §4, §6.3)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let foreign: TestAccount;
  let headers: Record<Bearer, string | null>;
  let goldKey: string;
  let plainOpenKey: string;
  let appId: string;
  const PACKAGE: Record<Target, string> = { LICENSED: 'app-cli', OPEN: 'free-cli' };
  const PRODUCT: Record<Target, string> = { LICENSED: 'app', OPEN: 'free' };
  const url = (...segments: string[]) => genericUrl(acme, ...segments);
  const admin = () => t.as(bearer(acme.adminToken));
  let serial = 0;
  /** A file (in a version) of its own, so that allowed deletes leave the other rows alone. */
  const freshFile = async (target: Target) => {
    serial += 1;
    const version = `1.0.${serial}`;
    await admin().put(url(PACKAGE[target], version, `f${serial}.bin`)).send('bytes').expect(201);
    return { version, filename: `f${serial}.bin` };
  };

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    foreign = await createAccount(t, { slug: 'foreign' });
    const c = catalog(t, acme);
    const app = await c.product({ name: 'App', code: 'app' });
    appId = app.id;
    const free = await c.product({ name: 'Free', code: 'free', distributionStrategy: 'OPEN' });
    const other = await c.product({ name: 'Other', code: 'other' });
    for (const target of ['LICENSED', 'OPEN'] as Target[]) {
      await admin().put(url(PACKAGE[target], '1.0.0', 'tool.bin') + `?product=${PRODUCT[target]}`).send('tool').expect(201);
    }
    const license = async (productId: string, entitlements: string[] = []) => {
      const policy = await c.policy(productId);
      const created = await c.license(policy.id);
      if (entitlements.length > 0) await c.attach(`licenses/${created.id}`, entitlements);
      return created.attributes.key as string;
    };
    const appKey = await license(app.id);
    const gold = await c.entitlement('GOLD');
    goldKey = await license(free.id, [gold.id]);
    plainOpenKey = await license(free.id);
    // A version of the OPEN package that only GOLD holders see.
    const constrained = await admin().put(url('free-cli', '2.0.0', 'gold.bin')).send('gold').expect(201);
    await admin()
      .post(`${acme.base}/releases/${constrained.body.data.relationships.release.data.id}/constraints`)
      .send({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: gold.id } } } }] })
      .expect(200);
    headers = {
      admin: bearer(acme.adminToken),
      developer: (await userWithToken(t, acme, 'dev@acme.test', 'developer')).header,
      'read-only': (await userWithToken(t, acme, 'ro@acme.test', 'read-only')).header,
      'own product token': basic('ci', await c.token(`products/${app.id}`)),
      'other product token': bearer(await c.token(`products/${other.id}`)),
      'license (Basic)': basic('license', appKey),
      'license (License)': `License ${appKey}`,
      'license of another product': basic('license', await license(other.id)),
      anonymous: null,
    };
  });
  afterAll(() => t.close());

  const actions: Record<Action, (who: Bearer, target: Target) => Promise<number>> = {
    'GET file': async (who, target) => (await t.as(headers[who]).get(url(PACKAGE[target], '1.0.0', 'tool.bin'))).status,
    'HEAD file': async (who, target) => (await t.as(headers[who]).head(url(PACKAGE[target], '1.0.0', 'tool.bin'))).status,
    'list versions': async (who, target) => (await t.as(headers[who]).get(url(PACKAGE[target]))).status,
    'list files': async (who, target) => (await t.as(headers[who]).get(url(PACKAGE[target], '1.0.0'))).status,
    'PUT file': async (who, target) => {
      serial += 1;
      return (await t.as(headers[who]).put(url(PACKAGE[target], '1.0.0', `new${serial}.bin`)).send('new')).status;
    },
    'DELETE file': async (who, target) => {
      const file = await freshFile(target);
      return (await t.as(headers[who]).delete(url(PACKAGE[target], file.version, file.filename))).status;
    },
    'DELETE version': async (who, target) => {
      const file = await freshFile(target);
      return (await t.as(headers[who]).delete(url(PACKAGE[target], file.version))).status;
    },
  };
  const rows = (Object.keys(actions) as Action[]).flatMap((action) => BEARERS.flatMap((who) => (['LICENSED', 'OPEN'] as Target[]).map((target) => [action, who, target] as const)));

  it.each(rows)('%s as %s on the %s package', async (action, who, target) => {
    expect(await actions[action](who, target)).toBe(expected(action, who, target));
  });

  it('a 401 carries a Basic challenge and a JSON:API error, for anonymous reads of hidden packages and for writes', async () => {
    const before = await footprint(t);
    for (const res of [await t.as(null).get(url('app-cli', '1.0.0', 'tool.bin')), await t.as(null).put(url('app-cli', '1.0.0', 'x.bin')).send('x'), await t.as(null).get(url('app-cli'))]) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="keyshelf"');
      expect(res.headers['content-type']).toContain('application/vnd.api+json');
      expect(res.body.errors[0].code).toBe('TOKEN_MISSING');
    }
    expect(await footprint(t)).toEqual(before);
  });

  it('bad credentials always fail with 401 and a Basic challenge, even where anonymous reads work', async () => {
    for (const authorization of [bearer('admin_nope'), basic('license', 'not-a-key'), bearer(foreign.adminToken)]) {
      const res = await t.as(authorization).get(url('free-cli', '1.0.0', 'tool.bin'));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="keyshelf"');
    }
  });

  it('a constrained version of an OPEN package: 401 anonymously, 404 without the entitlement, 200 with it', async () => {
    const path = url('free-cli', '2.0.0', 'gold.bin');
    expect((await t.as(null).get(path)).status).toBe(401);
    expect((await t.as(null).get(url('free-cli', '2.0.0'))).status).toBe(401);
    expect((await t.as(basic('license', plainOpenKey)).get(path)).status).toBe(404);
    expect((await t.as(basic('license', goldKey)).get(path)).status).toBe(200);
    const versions = await t.as(null).get(url('free-cli')).expect(200);
    expect(versions.body.data.map((r: { attributes: { version: string } }) => r.attributes.version)).not.toContain('2.0.0');
  });

  it('what does not exist is 404 for everyone, anonymous callers included', async () => {
    await t.as(null).get(url('no-such-package', '1.0.0', 'tool.bin')).expect(404);
    await t.as(null).get(url('free-cli', '1.0.0', 'no-such.bin')).expect(404);
    await t.as(null).get(url('free-cli', '9.0.0')).expect(404);
    await t.as(null).get(url('no-such-package')).expect(404);
  });

  it('another account sees nothing of this one, even by name', async () => {
    const foreignBase = `${foreign.base}/engines/generic`;
    await t.as(bearer(foreign.adminToken)).get(`${foreignBase}/free-cli/1.0.0/tool.bin`).expect(404);
    await t.as(bearer(foreign.adminToken)).get(`${foreignBase}/app-cli`).expect(404);
    await t.as(null).get(`${foreignBase}/app-cli/1.0.0/tool.bin`).expect(404);
  });

  it('a product token creates new packages in its own product, and may not name another', async () => {
    const other = headers['other product token'];
    await t.as(other).put(url('brand-new', '1.0.0', 'x.bin') + '?product=app').send('x').expect(404);
    await t.as(other).put(url('brand-new', '1.0.0', 'x.bin') + '?product=free').send('x').expect(403);
    await t.as(headers['own product token']).put(url('brand-new', '1.0.0', 'x.bin')).send('x').expect(201);
    const pkg = await admin().get(`${acme.base}/packages/brand-new`).expect(200);
    expect(pkg.body.data.relationships.product.data.id).toBe(appId);
  });

  it('a license\'s download is counted and logged with the license as the bearer', async () => {
    const res = await t.as(headers['license (Basic)']).get(url('app-cli', '1.0.0', 'tool.bin')).expect(200);
    expect(res.headers['content-disposition']).toMatch(/^attachment/);
    const [row] = await t.db.query(
      `SELECT a.downloads::int AS downloads, (SELECT count(*)::int FROM event_logs e WHERE e.resource_id = a.id AND e.event = 'artifact.downloaded' AND e.bearer_type = 'licenses') AS events
       FROM artifacts a JOIN releases r ON r.id = a.release_id JOIN packages p ON p.id = r.package_id WHERE p.key = 'app-cli' AND r.version = '1.0.0' AND a.filename = 'tool.bin'`,
    );
    expect(row.events).toBeGreaterThanOrEqual(1);
    expect(row.downloads).toBeGreaterThanOrEqual(row.events);
  });
});
