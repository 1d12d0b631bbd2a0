import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';

/** SPEC §4's rules for entitlements, policies and licenses, as a table over bearer kinds. */
type Outcome = 'allowed' | 'hidden' | 'denied' | 'unauthenticated';
const A = 'allowed', H = 'hidden', D = 'denied', U = 'unauthenticated';

const BEARERS = ['admin', 'developer', 'read-only', 'own product', 'other product', 'the license', 'another license', 'owner', 'other customer', 'anonymous'] as const;
type Who = (typeof BEARERS)[number];

//                                   admin dev ro own-prod other-prod license other-lic owner other-cust anon
const TABLE: Record<string, Outcome[]> = {
  'show the license':               [A, A, A, A, H, A, H, A, H, U],
  'list licenses (contains it)':    [A, A, A, A, H, A, H, A, H, U],
  'update the license':             [A, A, D, A, H, D, H, D, H, U],
  'reinstate the license':          [A, A, D, A, H, D, H, D, H, U],
  'create a license token':         [A, A, D, A, H, D, H, D, H, U],
  "list the license's entitlements": [A, A, A, A, H, A, H, A, H, U],
  'show the policy':                [A, A, A, A, H, A, H, A, H, U],
  'create a policy for the product': [A, A, D, A, H, D, D, D, D, U],
  'attach to the policy':           [A, A, D, A, H, D, H, D, H, U],
  'show a held entitlement':        [A, A, A, A, A, A, H, A, H, U],
  'create an entitlement':          [A, A, D, D, D, D, D, D, D, U],
};

function outcomeOf(status: number, body: { errors?: { code: string }[] }, listed?: boolean): Outcome {
  if (status === 401) return U;
  if (status === 403) return D;
  if (status === 404 || (status === 422 && body.errors?.[0]?.code === 'PRODUCT_NOT_FOUND')) return H;
  if (status >= 200 && status < 300) return listed === false ? H : A;
  throw new Error(`unexpected ${status} ${JSON.stringify(body)}`);
}

describe('access matrix for licensing records (SPEC §4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const headers = {} as Record<Who, string | null>;
  const ids = { product: '', policy: '', license: '', entitlement: '', spare: [] as string[] };

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const userToken = (email: string, role: string) => userWithToken(t, acme, email, role);
    const [dev, ro, owner, stranger] = [
      await userToken('dev@acme.test', 'developer'),
      await userToken('ro@acme.test', 'read-only'),
      await userToken('owner@acme.test', 'user'),
      await userToken('stranger@acme.test', 'user'),
    ];
    const product = await c.product({ name: 'Licensed' });
    const other = await c.product({ name: 'Other' });
    const policy = await c.policy(product.id);
    const entitlement = await c.entitlement('HELD');
    await c.attach(`policies/${policy.id}`, [entitlement.id]);
    const license = await c.license(policy.id, {}, owner.id);
    const otherPolicy = await c.policy(other.id);
    const anotherLicense = await c.license(otherPolicy.id, {}, stranger.id);
    for (let i = 0; i < 20; i += 1) ids.spare.push((await c.entitlement(`SPARE-${i}`)).id);
    Object.assign(ids, { product: product.id, policy: policy.id, license: license.id, entitlement: entitlement.id });
    Object.assign(headers, {
      admin: bearer(acme.adminToken),
      developer: dev.header,
      'read-only': ro.header,
      'own product': bearer(await c.token(`products/${product.id}`)),
      'other product': bearer(await c.token(`products/${other.id}`)),
      'the license': `License ${license.attributes.key}`,
      'another license': `License ${anotherLicense.attributes.key}`,
      owner: owner.header,
      'other customer': stranger.header,
      anonymous: null,
    });
  });
  afterAll(() => t.close());

  let spare = 0;
  const run: Record<string, (as: ReturnType<TestApp['as']>) => Promise<Outcome>> = {
    'show the license': async (as) => {
      const res = await as.get(`${acme.base}/licenses/${ids.license}`);
      return outcomeOf(res.status, res.body);
    },
    'list licenses (contains it)': async (as) => {
      const res = await as.get(`${acme.base}/licenses?page[size]=100`);
      return outcomeOf(res.status, res.body, res.status === 200 ? res.body.data.some((l: { id: string }) => l.id === ids.license) : undefined);
    },
    'update the license': async (as) => {
      const res = await as.patch(`${acme.base}/licenses/${ids.license}`).send(doc('licenses', { name: 'Renamed' }));
      return outcomeOf(res.status, res.body);
    },
    'reinstate the license': async (as) => {
      const res = await as.post(`${acme.base}/licenses/${ids.license}/actions/reinstate`);
      return outcomeOf(res.status, res.body);
    },
    'create a license token': async (as) => {
      const res = await as.post(`${acme.base}/licenses/${ids.license}/tokens`);
      return outcomeOf(res.status, res.body);
    },
    "list the license's entitlements": async (as) => {
      const res = await as.get(`${acme.base}/licenses/${ids.license}/entitlements`);
      return outcomeOf(res.status, res.body);
    },
    'show the policy': async (as) => {
      const res = await as.get(`${acme.base}/policies/${ids.policy}`);
      return outcomeOf(res.status, res.body);
    },
    'create a policy for the product': async (as) => {
      const res = await as.post(`${acme.base}/policies`).send(doc('policies', { name: 'p' }, { product: { data: { type: 'products', id: ids.product } } }));
      return outcomeOf(res.status, res.body);
    },
    'attach to the policy': async (as) => {
      const id = ids.spare[spare++];
      const res = await as.post(`${acme.base}/policies/${ids.policy}/entitlements`).send({ data: [{ type: 'entitlements', id }] });
      return outcomeOf(res.status, res.body);
    },
    'show a held entitlement': async (as) => {
      const res = await as.get(`${acme.base}/entitlements/${ids.entitlement}`);
      return outcomeOf(res.status, res.body);
    },
    'create an entitlement': async (as) => {
      const code = `NEW-${Math.random().toString(36).slice(2, 10)}`;
      const res = await as.post(`${acme.base}/entitlements`).send(doc('entitlements', { name: code, code }));
      return outcomeOf(res.status, res.body);
    },
  };

  const rows = Object.entries(TABLE).flatMap(([action, outcomes]) => BEARERS.map((who, i) => [action, who, outcomes[i]] as const));

  it.each(rows)('%s as %s → %s', async (action, who, want) => {
    expect(await run[action](t.as(headers[who]))).toBe(want);
  });
});
