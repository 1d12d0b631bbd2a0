import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { putBytes, randomFile, sha256 } from '../support/upload.js';

/**
 * SPEC §4 for releases and artifacts, as a table: bearer × product strategy × release kind
 * (status, constraints, date) → visible or not, checked on show, list, the artifact document
 * and the download, against PostgreSQL.
 */
type Strategy = 'LICENSED' | 'OPEN' | 'CLOSED';
type Kind = 'draft' | 'published' | 'yanked' | 'constrained' | 'old' ;
type Who =
  | 'admin'
  | 'read-only'
  | 'product token (own)'
  | 'product token (other)'
  | 'license with GOLD'
  | 'license without GOLD'
  | 'suspended license'
  | 'expired (REVOKE_ACCESS)'
  | 'expired (RESTRICT_ACCESS)'
  | 'expired (MAINTAIN_ACCESS)'
  | 'expired (ALLOW_ACCESS)'
  | 'customer with GOLD'
  | 'customer without license'
  | 'anonymous';

const STRATEGIES: Strategy[] = ['LICENSED', 'OPEN', 'CLOSED'];
const KINDS: Kind[] = ['draft', 'published', 'yanked', 'constrained', 'old'];
const WHO: Who[] = [
  'admin',
  'read-only',
  'product token (own)',
  'product token (other)',
  'license with GOLD',
  'license without GOLD',
  'suspended license',
  'expired (REVOKE_ACCESS)',
  'expired (RESTRICT_ACCESS)',
  'expired (MAINTAIN_ACCESS)',
  'expired (ALLOW_ACCESS)',
  'customer with GOLD',
  'customer without license',
  'anonymous',
];

const DAY = 86_400_000;

/** The oracle, straight from SPEC §4's table. */
function releaseVisible(who: Who, strategy: Strategy, kind: Kind): boolean | 'auth-fails' {
  if (who === 'suspended license' || who === 'expired (REVOKE_ACCESS)') return 'auth-fails';
  if (who === 'admin' || who === 'read-only' || who === 'product token (own)') return true;
  const published = kind !== 'draft' && kind !== 'yanked';
  const openToAll = published && strategy === 'OPEN' && kind !== 'constrained';
  if (who === 'product token (other)' || who === 'anonymous' || who === 'customer without license') return openToAll;
  const holdsGold = who !== 'license without GOLD';
  // Expired under RESTRICT/MAINTAIN: only releases dated at or before the expiry (5 days ago).
  const inWindow = !(who === 'expired (RESTRICT_ACCESS)' || who === 'expired (MAINTAIN_ACCESS)') || kind === 'old';
  const licensed = strategy !== 'CLOSED' && published && (kind !== 'constrained' || holdsGold) && inWindow;
  return licensed || openToAll;
}

describe('release and artifact visibility (SPEC §4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const releases = {} as Record<Strategy, Record<Kind, { id: string; artifact: string; waiting: string }>>;
  const headers = {} as Record<Strategy, Record<Who, string | null>>;

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const admin = () => t.as(bearer(acme.adminToken));
    const user = (email: string, role: string) => userWithToken(t, acme, email, role);
    const readOnly = await user('ro@acme.test', 'read-only');
    const customer = await user('customer@acme.test', 'user');
    const loner = await user('loner@acme.test', 'user');
    const gold = await c.entitlement('GOLD');
    const otherProduct = await c.product({ name: 'Other', distributionStrategy: 'OPEN' });
    const otherToken = bearer(await c.token(`products/${otherProduct.id}`));
    const expiredAt = new Date(Date.now() - 5 * DAY).toISOString();

    for (const strategy of STRATEGIES) {
      const product = await c.product({ name: strategy, distributionStrategy: strategy });
      const rel = { product: { data: { type: 'products', id: product.id } } };
      releases[strategy] = {} as Record<Kind, { id: string; artifact: string; waiting: string }>;
      for (const kind of KINDS) {
        const attributes: Record<string, unknown> = { version: `1.0.${KINDS.indexOf(kind)}`, channel: 'stable', status: kind === 'draft' ? 'DRAFT' : 'PUBLISHED' };
        if (kind === 'old') attributes.backdated = new Date(Date.now() - 10 * DAY).toISOString();
        const release = (await admin().post(`${acme.base}/releases`).send(doc('releases', attributes, rel)).expect(201)).body.data.id as string;
        if (kind === 'constrained') {
          await admin()
            .post(`${acme.base}/releases/${release}/constraints`)
            .send({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: gold.id } } } }] })
            .expect(200);
        }
        const bytes = randomFile(64);
        const artifact = await admin()
          .post(`${acme.base}/artifacts`)
          .set('Prefer', 'no-redirect')
          .send(doc('artifacts', { filename: `${strategy}-${kind}.bin`, checksum: sha256(bytes) }, { release: { data: { type: 'releases', id: release } } }))
          .expect(200);
        await putBytes(t, artifact.headers.location, bytes).expect(200);
        const waiting = await admin()
          .post(`${acme.base}/artifacts`)
          .set('Prefer', 'no-redirect')
          .send(doc('artifacts', { filename: `${strategy}-${kind}-waiting.bin` }, { release: { data: { type: 'releases', id: release } } }))
          .expect(200);
        if (kind === 'yanked') await admin().post(`${acme.base}/releases/${release}/actions/yank`).expect(200);
        releases[strategy][kind] = { id: release, artifact: artifact.body.data.id, waiting: waiting.body.data.id };
      }
      const goldPolicy = await c.policy(product.id);
      await c.attach(`policies/${goldPolicy.id}`, [gold.id]);
      const plainPolicy = await c.policy(product.id);
      const key = async (policyId: string, attributes: Record<string, unknown> = {}, userId?: string) =>
        `License ${(await c.license(policyId, attributes, userId)).attributes.key}`;
      const expired: Record<string, string> = {};
      for (const exp of ['REVOKE_ACCESS', 'RESTRICT_ACCESS', 'MAINTAIN_ACCESS', 'ALLOW_ACCESS']) {
        const policy = await c.policy(product.id, { expirationStrategy: exp });
        await c.attach(`policies/${policy.id}`, [gold.id]);
        expired[`expired (${exp})`] = await key(policy.id, { expiry: expiredAt });
      }
      await c.license(goldPolicy.id, {}, customer.id);
      headers[strategy] = {
        admin: bearer(acme.adminToken),
        'read-only': readOnly.header,
        'product token (own)': bearer(await c.token(`products/${product.id}`)),
        'product token (other)': otherToken,
        'license with GOLD': await key(goldPolicy.id),
        'license without GOLD': await key(plainPolicy.id),
        'suspended license': await key(goldPolicy.id, { suspended: true }),
        ...expired,
        'customer with GOLD': customer.header,
        'customer without license': loner.header,
        anonymous: null,
      } as Record<Who, string | null>;
    }
  }, 120_000);
  afterAll(() => t.close());

  const rows = STRATEGIES.flatMap((strategy) => WHO.flatMap((who) => KINDS.map((kind) => [who, strategy, kind] as const)));

  it.each(rows)('%s on a %s product, %s release', async (who, strategy, kind) => {
    const as = t.as(headers[strategy][who]);
    const target = releases[strategy][kind];
    const want = releaseVisible(who, strategy, kind);
    const show = await as.get(`${acme.base}/releases/${target.id}`);
    const list = await as.get(`${acme.base}/releases?page[size]=100`);
    const artifact = await as.get(`${acme.base}/artifacts/${target.artifact}`).set('Prefer', 'no-download');
    const waiting = await as.get(`${acme.base}/artifacts/${target.waiting}`).set('Prefer', 'no-download');
    const download = await as.get(`${acme.base}/artifacts/${target.artifact}`);
    if (want === 'auth-fails') {
      for (const res of [show, list, artifact, download]) expect(res.status).toBe(403);
      return;
    }
    expect(show.status).toBe(want ? 200 : 404);
    expect(list.status).toBe(200);
    expect(list.body.data.some((r: { id: string }) => r.id === target.id)).toBe(want);
    expect(artifact.status).toBe(want ? 200 : 404);
    // A WAITING artifact's document: staff and the owning product only.
    const seesWaiting = want && (who === 'admin' || who === 'read-only' || who === 'product token (own)');
    expect(waiting.status).toBe(seesWaiting ? 200 : 404);
    // Downloads: visible, uploaded and not yanked; those who see a yanked one get its document, no Location.
    const expectedDownload = !want ? 404 : kind === 'yanked' ? 200 : 303;
    expect(download.status).toBe(expectedDownload);
    expect(download.headers.location === undefined).toBe(expectedDownload !== 303);
  });
});
