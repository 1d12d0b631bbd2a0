import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';

/** Every route of the application, as `METHOD /path/:param`, read from the controllers' decorators. */
function routesOf(t: TestApp): { method: string; path: string }[] {
  const discovery = new DiscoveryService(t.app.get(ModulesContainer));
  const routes: { method: string; path: string }[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as { prototype: Record<string, unknown> } | null;
    if (!controller) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = controller.prototype[name];
      if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler))].filter((part) => part && part !== '/').join('/')}`.replace(/\/+/g, '/');
      routes.push({ method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod], path });
    }
  }
  return routes;
}

const rel = (type: string, id: string) => ({ data: { type, id } });

/**
 * Defect 14 (SPEC §4): a bearer that may never write a kind of record gets 403 before its body
 * is looked at, so no 422 tells it which related records exist. The rows come from the
 * application's own route list: a create route without a row here fails.
 */
describe('authorize before validating', () => {
  let t: TestApp;
  let acme: TestAccount;
  const who: Record<string, string> = {};
  let productId: string;

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ name: 'App', distributionStrategy: 'OPEN' });
    productId = product.id;
    const policy = await c.policy(product.id);
    const customer = await userWithToken(t, acme, 'customer@acme.test', 'user');
    const license = await c.license(policy.id, {}, customer.id);
    Object.assign(who, {
      admin: bearer(acme.adminToken),
      developer: (await userWithToken(t, acme, 'dev@acme.test', 'developer')).header,
      'read-only': (await userWithToken(t, acme, 'ro@acme.test', 'read-only')).header,
      'product token': bearer(await c.token(`products/${product.id}`)),
      license: `License ${license.attributes.key}`,
      customer: customer.header,
    });
  });
  afterAll(() => t.close());

  /** Per create route: the bearers that may never use it, and a body naming records that do not exist. */
  const CREATES: Record<string, { never: string[]; body: () => object; writer: string; answer: [number, string] }> = {
    '/v1/accounts/:account/products': { never: ['read-only', 'license', 'customer', 'product token'], body: () => doc('products', { name: 'x', code: 'taken?' }), writer: 'admin', answer: [422, 'CODE_INVALID'] },
    '/v1/accounts/:account/entitlements': { never: ['read-only', 'license', 'customer', 'product token'], body: () => doc('entitlements', { name: 'x', code: 'C' }), writer: 'developer', answer: [201, ''] },
    '/v1/accounts/:account/packages': {
      never: ['read-only', 'license', 'customer'],
      body: () => doc('packages', { name: 'x', key: 'k' }, { product: rel('products', 'no-such-product') }),
      writer: 'product token',
      answer: [422, 'PRODUCT_NOT_FOUND'],
    },
    '/v1/accounts/:account/releases': {
      never: ['read-only', 'license', 'customer'],
      body: () => doc('releases', { version: '1.0.0', channel: 'stable' }, { product: rel('products', productId), package: rel('packages', 'no-such-package') }),
      writer: 'product token',
      answer: [422, 'PACKAGE_NOT_FOUND'],
    },
    '/v1/accounts/:account/artifacts': {
      never: ['read-only', 'license', 'customer'],
      body: () => doc('artifacts', { filename: 'a.bin' }, { release: rel('releases', 'no-such-release') }),
      writer: 'developer',
      answer: [422, 'RELEASE_NOT_FOUND'],
    },
    '/v1/accounts/:account/policies': {
      never: ['read-only', 'license', 'customer'],
      body: () => doc('policies', { name: 'x' }, { product: rel('products', 'no-such-product') }),
      writer: 'developer',
      answer: [422, 'PRODUCT_NOT_FOUND'],
    },
    '/v1/accounts/:account/licenses': {
      never: ['read-only', 'license', 'customer'],
      body: () => doc('licenses', {}, { policy: rel('policies', '6f1c1e9e-5c3b-4a7e-9d43-2b7a2f0c1a11') }),
      writer: 'product token',
      answer: [422, 'POLICY_NOT_FOUND'],
    },
    '/v1/accounts/:account/users': { never: ['developer', 'read-only', 'license', 'customer', 'product token'], body: () => doc('users', { email: 'admin@keyshelf.local' }), writer: 'admin', answer: [422, 'EMAIL_TAKEN'] },
    '/v1/accounts/:account/tokens': { never: ['license', 'product token'], body: () => doc('tokens', { name: 'x' }), writer: 'read-only', answer: [201, ''] },
  };

  it('every create route of the application has a row', () => {
    const creates = routesOf(t)
      .filter((route) => route.method === 'POST' && /^\/v1\/accounts\/:account\/[^/:]+$/.test(route.path))
      .map((route) => route.path)
      .sort();
    expect(creates).toEqual(Object.keys(CREATES).sort());
  });

  const rows = Object.entries(CREATES).flatMap(([path, rule]) => rule.never.map((bearerName) => [path, bearerName] as const));

  it.each(rows)('POST %s as %s → 403 before the body is read', async (path, bearerName) => {
    const url = path.replace(':account', acme.id);
    const named = await t.as(who[bearerName]).post(url).send(CREATES[path].body());
    expect(named.status).toBe(403);
    // Not even a malformed body gets looked at.
    const malformed = await t.as(who[bearerName]).post(url).send({ nonsense: true });
    expect(malformed.status).toBe(403);
    const tooMuch = await t.as(who[bearerName]).post(url).send({ data: { type: 'wrong', id: 'client-id', attributes: { bogus: 1 } } });
    expect(tooMuch.status).toBe(403);
  });

  it.each(Object.entries(CREATES))('POST %s by a bearer that may write: the body is examined', async (path, rule) => {
    const res = await t.as(who[rule.writer]).post(path.replace(':account', acme.id)).send(rule.body());
    expect(res.status).toBe(rule.answer[0]);
    if (rule.answer[1]) expect(res.body.errors[0].code).toBe(rule.answer[1]);
  });
});

/**
 * Defect 13 (SPEC §1.3, §4): reads answer 200 or 404, never 403, for every bearer kind. Every
 * GET route of the application is called as each bearer; a new read route is covered as it is.
 */
describe('reads never answer 403', () => {
  let t: TestApp;
  let acme: TestAccount;
  const who: Record<string, string | null> = {};
  const params: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const admin = t.as(bearer(acme.adminToken));
    const licensed = await c.product({ name: 'Licensed', code: 'licensed' });
    const other = await c.product({ name: 'Other', code: 'other', distributionStrategy: 'CLOSED' });
    const pkg = await c.package(licensed.id, { key: 'pkg', engine: 'pypi' });
    const policy = await c.policy(licensed.id);
    const entitlement = await c.entitlement('READ');
    const customer = await userWithToken(t, acme, 'customer@acme.test', 'user');
    const license = await c.license(policy.id, {}, customer.id);
    const release = (await admin.post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: rel('products', licensed.id) })).expect(201)).body.data;
    const constraint = (
      await admin.post(`${acme.base}/releases/${release.id}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', entitlement.id) } }] }).expect(200)
    ).body.data[0];
    const artifact = (await admin.post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'app.bin' }, { release: rel('releases', release.id) })).expect(200)).body.data;
    const token = (await admin.post(`${acme.base}/tokens`).expect(201)).body.data;
    const event = (await admin.get(`${acme.base}/event-logs`).expect(200)).body.data[0];
    Object.assign(who, {
      admin: bearer(acme.adminToken),
      developer: (await userWithToken(t, acme, 'dev@acme.test', 'developer')).header,
      'read-only': (await userWithToken(t, acme, 'ro@acme.test', 'read-only')).header,
      'own product token': bearer(await c.token(`products/${licensed.id}`)),
      'other product token': bearer(await c.token(`products/${other.id}`)),
      'the license': `License ${license.attributes.key}`,
      customer: customer.header,
      anonymous: null,
    });
    // Each collection's record, for `:id`; `:constraint` and `*filename` for the nested routes.
    const ids: Record<string, string> = {
      products: licensed.id,
      packages: pkg.id,
      releases: release.id,
      artifacts: artifact.id,
      entitlements: entitlement.id,
      policies: policy.id,
      licenses: license.id,
      users: acme.adminUserId,
      tokens: token.id,
      'event-logs': event.id,
      engines: 'pypi',
    };
    Object.assign(params, { ids, nested: { constraint: constraint.id, filename: 'app.bin' } });
  });
  afterAll(() => t.close());

  const BEARERS = ['admin', 'developer', 'read-only', 'own product token', 'other product token', 'the license', 'customer', 'anonymous'];

  it('covers every GET route of the application', async () => {
    // The engines' protocol routes answer as their protocols require (PyPI: 401/403/307, the
    // generic registry: 401 with Basic, Tauri: 204/400) and have access tables of their own.
    const protocol = /\/engines\/(pypi|generic|tauri)(\/|$)/;
    const reads = routesOf(t).filter((route) => route.method === 'GET' && route.path.startsWith('/v1/accounts/:account') && !protocol.test(route.path));
    expect(reads.length).toBeGreaterThan(20);
    // Routes that need query parameters to name their record.
    const queries: Record<string, string> = { '/v1/accounts/:account/releases/actions/upgrade': `?product=${params.ids.products}&version=1.0.0` };
    for (const route of reads) {
      const collection = route.path.split('/')[4];
      const path =
        route.path
          .replace(':account', acme.id)
          .replace(':id', params.ids[collection] ?? 'unknown')
          .replace(':constraint', params.nested.constraint)
          .replace('*filename', params.nested.filename) + (queries[route.path] ?? '');
      for (const name of BEARERS) {
        const res = await t.as(who[name]).get(path).set('Prefer', 'no-download');
        const allowed = name === 'anonymous' ? [200, 303, 401, 404] : [200, 303, 404];
        if (!allowed.includes(res.status)) throw new Error(`GET ${route.path} as ${name} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
  });

  it('a license reads its own policy; a customer the policies of its licenses; others get 404', async () => {
    const policy = params.ids.policies;
    await t.as(who['the license']).get(`${acme.base}/policies/${policy}`).expect(200);
    await t.as(who.customer).get(`${acme.base}/policies/${policy}`).expect(200);
    const listed = await t.as(who['the license']).get(`${acme.base}/policies`).expect(200);
    expect(listed.body.data.map((p: { id: string }) => p.id)).toEqual([policy]);
    await t.as(who['the license']).get(`${acme.base}/policies/${policy}/entitlements`).expect(200);
    await t.as(who['other product token']).get(`${acme.base}/policies/${policy}`).expect(404);
    const stranger = await userWithToken(t, acme, 'stranger@acme.test', 'user');
    await t.as(stranger.header).get(`${acme.base}/policies/${policy}`).expect(404);
    expect((await t.as(stranger.header).get(`${acme.base}/policies`).expect(200)).body.data).toEqual([]);
  });

  it('a write the bearer may not do on a record it sees is still a 403', async () => {
    const res = await t.as(who['the license']).patch(`${acme.base}/policies/${params.ids.policies}`).send(doc('policies', { name: 'x' }, undefined)).expect(403);
    expect(res.body.errors[0].code).toBe('FORBIDDEN');
  });
});
