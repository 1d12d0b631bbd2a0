import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';

/**
 * SPEC §4 as a table: bearer kind × product strategy × action → allowed / hidden (404) /
 * denied (403) / unauthenticated (401), run through HTTP against PostgreSQL, since the scopes
 * are SQL.
 */
type Strategy = 'LICENSED' | 'OPEN' | 'CLOSED';
type Outcome = 'allowed' | 'hidden' | 'denied' | 'unauthenticated';
type BearerName =
  | 'admin'
  | 'developer'
  | 'read-only'
  | 'product token (own)'
  | 'product token (other)'
  | 'license with entitlements'
  | 'license without entitlements'
  | 'suspended license'
  | 'expired license (REVOKE_ACCESS)'
  | 'expired license (RESTRICT_ACCESS)'
  | 'expired license (MAINTAIN_ACCESS)'
  | 'expired license (ALLOW_ACCESS)'
  | 'user owning a license'
  | 'user owning no license'
  | 'anonymous';

const STRATEGIES: Strategy[] = ['LICENSED', 'OPEN', 'CLOSED'];
const ENGINE_OF: Record<Strategy, string> = { LICENSED: 'pypi', OPEN: 'generic', CLOSED: 'tauri' };
const BEARERS: BearerName[] = [
  'admin',
  'developer',
  'read-only',
  'product token (own)',
  'product token (other)',
  'license with entitlements',
  'license without entitlements',
  'suspended license',
  'expired license (REVOKE_ACCESS)',
  'expired license (RESTRICT_ACCESS)',
  'expired license (MAINTAIN_ACCESS)',
  'expired license (ALLOW_ACCESS)',
  'user owning a license',
  'user owning no license',
  'anonymous',
];

/** The oracle: what SPEC §3.1, §3.2 and §4 say each bearer may do. */
function sees(who: BearerName, strategy: Strategy): boolean {
  if (['admin', 'developer', 'read-only', 'product token (own)'].includes(who)) return true;
  if (who === 'product token (other)' || who === 'anonymous' || who === 'user owning no license') return strategy === 'OPEN';
  return strategy !== 'CLOSED';
}
const authFails = (who: BearerName) => who === 'suspended license' || who === 'expired license (REVOKE_ACCESS)';
const writes = (who: BearerName) => ['admin', 'developer', 'product token (own)'].includes(who);
const mayEverWrite = (who: BearerName) => ['admin', 'developer', 'product token (own)', 'product token (other)'].includes(who);

function expected(action: string, who: BearerName, strategy: Strategy): Outcome {
  if (authFails(who)) return 'denied';
  const visible = sees(who, strategy);
  switch (action) {
    case 'list products':
    case 'show product':
      if (who === 'anonymous') return 'unauthenticated';
      return visible ? 'allowed' : 'hidden';
    case 'list packages':
    case 'show package':
    case 'list engines':
    case 'show engine':
      return visible ? 'allowed' : 'hidden';
    case 'create package':
      // A bearer that may never write packages is refused before the body is read, so the
      // answer cannot tell it whether the product named there exists.
      if (who === 'anonymous') return 'unauthenticated';
      if (!mayEverWrite(who)) return 'denied';
      if (!visible) return 'hidden';
      return writes(who) ? 'allowed' : 'denied';
    case 'update product':
    case 'update package':
    case 'delete package':
      if (who === 'anonymous') return 'unauthenticated';
      if (!visible) return 'hidden';
      return writes(who) ? 'allowed' : 'denied';
    case 'delete product':
      if (who === 'anonymous') return 'unauthenticated';
      if (!visible) return 'hidden';
      return who === 'admin' || who === 'developer' ? 'allowed' : 'denied';
  }
  throw new Error(`no rule for ${action}`);
}

function outcomeOf(status: number, body: { data?: unknown; errors?: { code: string }[] }, listed?: boolean): Outcome {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'denied';
  if (status === 404 || (status === 422 && body.errors?.[0]?.code === 'PRODUCT_NOT_FOUND')) return 'hidden';
  if (status >= 200 && status < 300) return listed === false ? 'hidden' : 'allowed';
  throw new Error(`unexpected ${status} ${JSON.stringify(body)}`);
}

describe('access matrix for products, packages and engines (SPEC §4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const products = {} as Record<Strategy, { id: string; packageId: string }>;
  const headers = {} as Record<Strategy, Record<BearerName, string | null>>;

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const userToken = async (email: string, role: string) => {
      const user = await userWithToken(t, acme, email, role);
      return { id: user.id, token: user.header };
    };
    const staff = {
      developer: await userToken('dev@acme.test', 'developer'),
      readOnly: await userToken('ro@acme.test', 'read-only'),
      customer: await userToken('customer@acme.test', 'user'),
      loner: await userToken('loner@acme.test', 'user'),
    };
    const gold = await c.entitlement('GOLD');
    const other = await c.product({ name: 'Other' });
    const otherToken = bearer(await c.token(`products/${other.id}`));
    const past = new Date(Date.now() - 3600_000).toISOString();

    for (const strategy of STRATEGIES) {
      const product = await c.product({ name: strategy, distributionStrategy: strategy });
      const pkg = await c.package(product.id, { key: `pkg-${strategy.toLowerCase()}`, engine: ENGINE_OF[strategy] });
      products[strategy] = { id: product.id, packageId: pkg.id };
      const policy = await c.policy(product.id);
      await c.attach(`policies/${policy.id}`, [gold.id]);
      const plain = await c.policy(product.id);
      const keyOf = async (policyId: string, attributes: Record<string, unknown> = {}, userId?: string) =>
        `License ${(await c.license(policyId, attributes, userId)).attributes.key}`;
      const suspended = await c.license(plain.id, { suspended: true });
      const expired: Partial<Record<BearerName, string>> = {};
      for (const exp of ['REVOKE_ACCESS', 'RESTRICT_ACCESS', 'MAINTAIN_ACCESS', 'ALLOW_ACCESS']) {
        const p = await c.policy(product.id, { expirationStrategy: exp });
        expired[`expired license (${exp})` as BearerName] = await keyOf(p.id, { expiry: past });
      }
      await c.license(plain.id, {}, staff.customer.id);
      headers[strategy] = {
        admin: bearer(acme.adminToken),
        developer: staff.developer.token,
        'read-only': staff.readOnly.token,
        'product token (own)': bearer(await c.token(`products/${product.id}`)),
        'product token (other)': otherToken,
        'license with entitlements': await keyOf(policy.id),
        'license without entitlements': await keyOf(plain.id),
        'suspended license': `License ${suspended.attributes.key}`,
        ...(expired as Record<string, string>),
        'user owning a license': staff.customer.token,
        'user owning no license': staff.loner.token,
        anonymous: null,
      } as Record<BearerName, string | null>;
    }
  });
  afterAll(() => t.close());

  const actions: Record<string, (as: ReturnType<TestApp['as']>, s: Strategy) => Promise<Outcome>> = {
    'list products': async (as, s) => {
      const res = await as.get(`${acme.base}/products?page[size]=100`);
      return outcomeOf(res.status, res.body, res.status === 200 ? res.body.data.some((p: { id: string }) => p.id === products[s].id) : undefined);
    },
    'show product': async (as, s) => {
      const res = await as.get(`${acme.base}/products/${products[s].id}`);
      return outcomeOf(res.status, res.body);
    },
    'list packages': async (as, s) => {
      const res = await as.get(`${acme.base}/packages?page[size]=100`);
      return outcomeOf(res.status, res.body, res.status === 200 ? res.body.data.some((p: { id: string }) => p.id === products[s].packageId) : undefined);
    },
    'show package': async (as, s) => {
      const res = await as.get(`${acme.base}/packages/${products[s].packageId}`);
      return outcomeOf(res.status, res.body);
    },
    'list engines': async (as, s) => {
      const res = await as.get(`${acme.base}/engines`);
      return outcomeOf(res.status, res.body, res.status === 200 ? res.body.data.some((e: { attributes: { key: string } }) => e.attributes.key === ENGINE_OF[s]) : undefined);
    },
    'show engine': async (as, s) => {
      const res = await as.get(`${acme.base}/engines/${ENGINE_OF[s]}`);
      return outcomeOf(res.status, res.body);
    },
    'update product': async (as, s) => {
      const res = await as.patch(`${acme.base}/products/${products[s].id}`).send(doc('products', { url: 'https://example.test' }));
      return outcomeOf(res.status, res.body);
    },
    'create package': async (as, s) => {
      const key = `new-${Math.random().toString(36).slice(2, 10)}`;
      const res = await as.post(`${acme.base}/packages`).send(doc('packages', { name: key, key }, { product: { data: { type: 'products', id: products[s].id } } }));
      return outcomeOf(res.status, res.body);
    },
    'update package': async (as, s) => {
      const res = await as.patch(`${acme.base}/packages/${products[s].packageId}`).send(doc('packages', { name: 'Renamed' }));
      return outcomeOf(res.status, res.body);
    },
    'delete package': async (as, s) => {
      // A package of its own per attempt, so that allowed deletes do not change later rows.
      const c = catalog(t, acme);
      const victim = await c.package(products[s].id, { key: `victim-${Math.random().toString(36).slice(2, 10)}` });
      const res = await as.delete(`${acme.base}/packages/${victim.id}`);
      return outcomeOf(res.status, res.body);
    },
    'delete product': async (as, s) => {
      const res = await as.delete(`${acme.base}/products/${products[s].id}`);
      return outcomeOf(res.status, res.body);
    },
    // Admins and developers may delete any product: they delete a stand-in of the same
    // strategy, so that the products under test stay for the other rows.
    'delete a stand-in product': async (as, s) => {
      const victim = await catalog(t, acme).product({ name: 'stand-in', distributionStrategy: s });
      const res = await as.delete(`${acme.base}/products/${victim.id}`);
      return outcomeOf(res.status, res.body);
    },
  };

  const rows: [string, BearerName, Strategy][] = [];
  const editors: BearerName[] = ['admin', 'developer'];
  for (const action of Object.keys(actions)) {
    for (const who of BEARERS) {
      if (action === 'delete product' && editors.includes(who)) continue;
      if (action === 'delete a stand-in product' && !editors.includes(who)) continue;
      for (const s of STRATEGIES) rows.push([action, who, s]);
    }
  }

  it.each(rows)('%s as %s on a %s product', async (action, who, strategy) => {
    const want = expected(action === 'delete a stand-in product' ? 'delete product' : action, who, strategy);
    const got = await actions[action](t.as(headers[strategy][who]), strategy);
    expect(got).toBe(want);
  });
});
