import type request from 'supertest';
import { bearer, createAccount, doc, type Requester, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { footprint } from '../support/footprint.js';
import { twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { applicationRoutes } from '../support/routes.js';
import { sha256 } from '../support/upload.js';

/**
 * SPEC §4, §10: every route of the application × every kind of bearer that must not get at one
 * account's records, generated from the router's own table: a route without a row here fails
 * the suite. Each case asserts the documented answer and that nothing changed — no row, no row's
 * content, no stored file — in either account.
 */
const BEARERS = [
  'no credentials',
  "another account's admin token",
  'a product token of another product',
  'a license without the entitlement',
  'an expired license under REVOKE_ACCESS',
  'a suspended license',
  'a revoked token',
  'a read-only user',
  'a customer user',
] as const;
type BearerName = (typeof BEARERS)[number];

/**
 * `ok` 2xx/3xx; `empty` 200 without the record in the body (a list scoped away from it);
 * `none` 204 (the Tauri "no update"); `401`, `403`; `404` hidden (also 422 `*_NOT_FOUND` for a
 * relationship naming a record the bearer cannot see).
 */
type Outcome = 'ok' | 'empty' | 'none' | '401' | '403' | '404';

interface Row {
  /** The request, relative to the account's base for account routes. */
  send: (as: Requester) => request.Test;
  /** no credentials, product token of another product, license without the entitlement, read-only user, customer user. */
  expect: string;
  /** The record this route reaches: must not appear in a body that is `empty`. */
  target?: () => string;
  /** Not under /v1/accounts/{account}: credentials are not consulted (health, documents, signed URLs). */
  unscoped?: boolean;
}

describe('route × bearer matrix (SPEC §4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let umbrella: TestAccount;
  const headers = {} as Record<BearerName, string | null>;
  const ids = {} as Record<string, string>;
  let A = '';

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    umbrella = await createAccount(t, { slug: 'umbrella' });
    A = acme.base;
    const c = catalog(t, acme);
    const admin = () => t.as(bearer(acme.adminToken));
    const rel = (type: string, id: string) => ({ data: { type, id } });

    const app = await c.product({ name: 'App', code: 'app' });
    const other = await c.product({ name: 'Other', code: 'other' });
    const gold = await c.entitlement('GOLD');
    const goldPolicy = await c.policy(app.id, { name: 'gold' });
    await c.attach(`policies/${goldPolicy.id}`, [gold.id]);
    const plainPolicy = await c.policy(app.id, { name: 'plain' });
    const revokePolicy = await c.policy(app.id, { name: 'revoke', expirationStrategy: 'REVOKE_ACCESS' });
    Object.assign(ids, { app: app.id, other: other.id, gold: gold.id, goldPolicy: goldPolicy.id });

    // Records of every kind, all behind the GOLD entitlement.
    const bytes = wheel('app-py', '1.0.0');
    await twineForm(admin().post(`${A}/products/app/engines/pypi`), { filename: wheelName('app-py', '1.0.0'), bytes }, twineFields('app-py', '1.0.0', bytes, 'bdist_wheel')).expect(201);
    ids.wheel = wheelName('app-py', '1.0.0');
    ids.wheelSha = sha256(bytes);
    await admin().put(`${A}/engines/generic/tool/1.0.0/tool.bin?product=app`).send('tool bytes').expect(201);
    ids.desk = (await c.package(app.id, { key: 'desk', engine: 'tauri' })).id;
    const deskRelease = await admin().post(`${A}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: rel('products', app.id), package: rel('packages', ids.desk) })).expect(201);
    const releases: { id: string; attributes: { version: string }; relationships: { package: { data: { id: string } | null } } }[] = (await admin().get(`${A}/releases?page[size]=100`).expect(200)).body.data;
    const pyPackage = (await admin().get(`${A}/packages/app-py`).expect(200)).body.data.id as string;
    ids.package = pyPackage;
    ids.release = releases.find((r) => r.relationships.package.data?.id === pyPackage)!.id;
    for (const release of new Set([...releases.map((r) => r.id), deskRelease.body.data.id as string])) {
      const attached = await admin()
        .post(`${A}/releases/${release}/constraints`)
        .send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', gold.id) } }] })
        .expect(200);
      if (release === ids.release) ids.constraint = attached.body.data[0].id;
    }
    await admin().post(`${A}/releases`).send(doc('releases', { version: '1.1.0', channel: 'stable', status: 'PUBLISHED' }, { product: rel('products', app.id), package: rel('packages', pyPackage) })).expect(201);
    ids.artifact = (await admin().get(`${A}/artifacts/${ids.wheel}`).set('Prefer', 'no-download').expect(200)).body.data.id;
    const waiting = await admin().post(`${A}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'later.bin' }, { release: rel('releases', ids.release) })).expect(200);
    ids.waiting = waiting.body.data.id;
    ids.engine = (await admin().get(`${A}/engines/pypi`).expect(200)).body.data.id;

    const target = await c.license(goldPolicy.id, { key: 'TARGET-LICENSE-KEY' });
    ids.license = target.id;
    ids.developer = (await userWithToken(t, acme, 'dev@acme.test', 'developer')).id;
    ids.token = (await admin().post(`${A}/tokens`).expect(201)).body.data.id;
    ids.event = (await admin().get(`${A}/event-logs`).expect(200)).body.data[0].id;

    const customer = await userWithToken(t, acme, 'customer@acme.test', 'user');
    const revoked = await admin().post(`${A}/tokens`).expect(201);
    await admin().delete(`${A}/tokens/${revoked.body.data.id}`).expect(204);
    const past = new Date(Date.now() - 3600_000).toISOString();
    Object.assign(headers, {
      'no credentials': null,
      "another account's admin token": bearer(umbrella.adminToken),
      'a product token of another product': bearer(await c.token(`products/${other.id}`)),
      'a license without the entitlement': `License ${(await c.license(plainPolicy.id, {}, customer.id)).attributes.key}`,
      'an expired license under REVOKE_ACCESS': `License ${(await c.license(revokePolicy.id, { expiry: past })).attributes.key}`,
      'a suspended license': `License ${(await c.license(goldPolicy.id, { suspended: true })).attributes.key}`,
      'a revoked token': bearer(revoked.body.data.attributes.token),
      'a read-only user': (await userWithToken(t, acme, 'ro@acme.test', 'read-only')).header,
      'a customer user': customer.header,
    });
  }, 120_000);
  afterAll(() => t.close());

  const json = (req: request.Test, body: object) => req.set('Content-Type', 'application/vnd.api+json').send(JSON.stringify(body));
  const rel = (type: string, id: string) => ({ data: { type, id } });
  const upload = (req: request.Test, version: string) => {
    const bytes = wheel('app-py', version);
    return twineForm(req, { filename: wheelName('app-py', version), bytes }, twineFields('app-py', version, bytes, 'bdist_wheel'));
  };
  const entitlements = () => ({ data: [{ type: 'entitlements', id: ids.gold }] });
  const forged = (path: string) => `${path}?expires=${Math.floor(Date.now() / 1000) + 600}&signature=${'0'.repeat(64)}`;

  /** One row per route of the application. */
  const ROWS: Record<string, Row> = {
    'GET /health/live': { send: (as) => as.get('/health/live'), expect: 'ok ok ok ok ok', unscoped: true },
    'GET /health/ready': { send: (as) => as.get('/health/ready'), expect: 'ok ok ok ok ok', unscoped: true },
    'PUT /storage/uploads/:accountId/:artifactId': { send: (as) => as.put(forged(`/storage/uploads/${acme.id}/${ids.waiting}`)).send('forged'), expect: '403 403 403 403 403', unscoped: true },
    'GET /storage/downloads/:accountId/:artifactId/:name': { send: (as) => as.get(forged(`/storage/downloads/${acme.id}/${ids.artifact}/${ids.wheel}`)), expect: '403 403 403 403 403', unscoped: true },

    'GET /v1/accounts/:account': { send: (as) => as.get(A), expect: '401 404 404 ok 404' },
    'GET /v1/accounts/:account/me': { send: (as) => as.get(`${A}/me`), expect: '401 ok ok ok ok' },
    'GET /v1/accounts/:account/users': { send: (as) => as.get(`${A}/users`), expect: '401 404 404 ok empty', target: () => ids.developer },
    'GET /v1/accounts/:account/users/:id': { send: (as) => as.get(`${A}/users/${ids.developer}`), expect: '401 404 404 ok 404' },
    'POST /v1/accounts/:account/users': { send: (as) => json(as.post(`${A}/users`), doc('users', { email: 'new@acme.test', password: 'password-1' })), expect: '401 403 403 403 403' },
    'PATCH /v1/accounts/:account/users/:id': { send: (as) => json(as.patch(`${A}/users/${ids.developer}`), doc('users', { role: 'admin' })), expect: '401 403 403 403 403' },
    'DELETE /v1/accounts/:account/users/:id': { send: (as) => as.delete(`${A}/users/${ids.developer}`), expect: '401 403 403 403 403' },
    'POST /v1/accounts/:account/tokens': { send: (as) => as.post(`${A}/tokens`), expect: '401 403 403 ok 403' },
    'GET /v1/accounts/:account/tokens': { send: (as) => as.get(`${A}/tokens`), expect: '401 empty empty empty empty', target: () => ids.token },
    'GET /v1/accounts/:account/tokens/:id': { send: (as) => as.get(`${A}/tokens/${ids.token}`), expect: '401 404 404 404 404' },
    'DELETE /v1/accounts/:account/tokens/:id': { send: (as) => as.delete(`${A}/tokens/${ids.token}`), expect: '401 404 404 404 404' },
    'GET /v1/accounts/:account/event-logs': { send: (as) => as.get(`${A}/event-logs`), expect: '401 404 404 404 404' },
    'GET /v1/accounts/:account/event-logs/:id': { send: (as) => as.get(`${A}/event-logs/${ids.event}`), expect: '401 404 404 404 404' },

    'GET /v1/accounts/:account/products': { send: (as) => as.get(`${A}/products`), expect: '401 empty ok ok ok', target: () => ids.app },
    'GET /v1/accounts/:account/products/:id': { send: (as) => as.get(`${A}/products/${ids.app}`), expect: '401 404 ok ok ok' },
    'POST /v1/accounts/:account/products': { send: (as) => json(as.post(`${A}/products`), doc('products', { name: 'New' })), expect: '401 403 403 403 403' },
    'PATCH /v1/accounts/:account/products/:id': { send: (as) => json(as.patch(`${A}/products/${ids.app}`), doc('products', { distributionStrategy: 'OPEN' })), expect: '401 404 403 403 403' },
    'DELETE /v1/accounts/:account/products/:id': { send: (as) => as.delete(`${A}/products/${ids.app}`), expect: '401 404 403 403 403' },
    'POST /v1/accounts/:account/products/:id/tokens': { send: (as) => as.post(`${A}/products/${ids.app}/tokens`), expect: '401 404 403 403 403' },
    'GET /v1/accounts/:account/packages': { send: (as) => as.get(`${A}/packages`), expect: 'empty empty ok ok ok', target: () => ids.package },
    'GET /v1/accounts/:account/packages/:id': { send: (as) => as.get(`${A}/packages/${ids.package}`), expect: '404 404 ok ok ok' },
    'POST /v1/accounts/:account/packages': { send: (as) => json(as.post(`${A}/packages`), doc('packages', { name: 'n', key: 'new-package' }, { product: rel('products', ids.app) })), expect: '401 404 403 403 403' },
    'PATCH /v1/accounts/:account/packages/:id': { send: (as) => json(as.patch(`${A}/packages/${ids.package}`), doc('packages', { name: 'Renamed' })), expect: '401 404 403 403 403' },
    'DELETE /v1/accounts/:account/packages/:id': { send: (as) => as.delete(`${A}/packages/${ids.package}`), expect: '401 404 403 403 403' },
    'GET /v1/accounts/:account/engines': { send: (as) => as.get(`${A}/engines`), expect: 'empty empty ok ok ok', target: () => ids.engine },
    'GET /v1/accounts/:account/engines/:id': { send: (as) => as.get(`${A}/engines/pypi`), expect: '404 404 ok ok ok' },

    'GET /v1/accounts/:account/entitlements': { send: (as) => as.get(`${A}/entitlements`), expect: '401 ok empty ok empty', target: () => ids.gold },
    'GET /v1/accounts/:account/entitlements/:id': { send: (as) => as.get(`${A}/entitlements/${ids.gold}`), expect: '401 ok 404 ok 404' },
    'POST /v1/accounts/:account/entitlements': { send: (as) => json(as.post(`${A}/entitlements`), doc('entitlements', { name: 'n', code: 'NEW' })), expect: '401 403 403 403 403' },
    'PATCH /v1/accounts/:account/entitlements/:id': { send: (as) => json(as.patch(`${A}/entitlements/${ids.gold}`), doc('entitlements', { name: 'Renamed' })), expect: '401 403 404 403 404' },
    'DELETE /v1/accounts/:account/entitlements/:id': { send: (as) => as.delete(`${A}/entitlements/${ids.gold}`), expect: '401 403 404 403 404' },
    'GET /v1/accounts/:account/policies': { send: (as) => as.get(`${A}/policies`), expect: '401 empty empty ok empty', target: () => ids.goldPolicy },
    'GET /v1/accounts/:account/policies/:id': { send: (as) => as.get(`${A}/policies/${ids.goldPolicy}`), expect: '401 404 404 ok 404' },
    'POST /v1/accounts/:account/policies': { send: (as) => json(as.post(`${A}/policies`), doc('policies', { name: 'n' }, { product: rel('products', ids.app) })), expect: '401 404 403 403 403' },
    'PATCH /v1/accounts/:account/policies/:id': { send: (as) => json(as.patch(`${A}/policies/${ids.goldPolicy}`), doc('policies', { name: 'Renamed' })), expect: '401 404 404 403 404' },
    'DELETE /v1/accounts/:account/policies/:id': { send: (as) => as.delete(`${A}/policies/${ids.goldPolicy}`), expect: '401 404 404 403 404' },
    'GET /v1/accounts/:account/policies/:id/entitlements': { send: (as) => as.get(`${A}/policies/${ids.goldPolicy}/entitlements`), expect: '401 404 404 ok 404' },
    'POST /v1/accounts/:account/policies/:id/entitlements': { send: (as) => json(as.post(`${A}/policies/${ids.goldPolicy}/entitlements`), entitlements()), expect: '401 404 404 403 404' },
    'DELETE /v1/accounts/:account/policies/:id/entitlements': { send: (as) => json(as.delete(`${A}/policies/${ids.goldPolicy}/entitlements`), entitlements()), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/licenses/actions/validate-key': { send: (as) => json(as.post(`${A}/licenses/actions/validate-key`), { meta: { key: 'TARGET-LICENSE-KEY' } }), expect: 'ok ok ok ok ok' },
    'GET /v1/accounts/:account/licenses': { send: (as) => as.get(`${A}/licenses`), expect: '401 empty empty ok empty', target: () => ids.license },
    'GET /v1/accounts/:account/licenses/:id': { send: (as) => as.get(`${A}/licenses/${ids.license}`), expect: '401 404 404 ok 404' },
    'GET /v1/accounts/:account/licenses/:id/user': { send: (as) => as.get(`${A}/licenses/${ids.license}/user`), expect: '401 404 404 ok 404' },
    'POST /v1/accounts/:account/licenses': { send: (as) => json(as.post(`${A}/licenses`), doc('licenses', {}, { policy: rel('policies', ids.goldPolicy) })), expect: '401 404 403 403 403' },
    'PATCH /v1/accounts/:account/licenses/:id': { send: (as) => json(as.patch(`${A}/licenses/${ids.license}`), doc('licenses', { name: 'Renamed' })), expect: '401 404 404 403 404' },
    'DELETE /v1/accounts/:account/licenses/:id': { send: (as) => as.delete(`${A}/licenses/${ids.license}`), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/licenses/:id/actions/suspend': { send: (as) => as.post(`${A}/licenses/${ids.license}/actions/suspend`), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/licenses/:id/actions/reinstate': { send: (as) => as.post(`${A}/licenses/${ids.license}/actions/reinstate`), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/licenses/:id/actions/renew': { send: (as) => as.post(`${A}/licenses/${ids.license}/actions/renew`), expect: '401 404 404 403 404' },
    'GET /v1/accounts/:account/licenses/:id/entitlements': { send: (as) => as.get(`${A}/licenses/${ids.license}/entitlements`), expect: '401 404 404 ok 404' },
    'POST /v1/accounts/:account/licenses/:id/entitlements': { send: (as) => json(as.post(`${A}/licenses/${ids.license}/entitlements`), entitlements()), expect: '401 404 404 403 404' },
    'DELETE /v1/accounts/:account/licenses/:id/entitlements': { send: (as) => json(as.delete(`${A}/licenses/${ids.license}/entitlements`), entitlements()), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/licenses/:id/tokens': { send: (as) => as.post(`${A}/licenses/${ids.license}/tokens`), expect: '401 404 404 403 404' },

    'GET /v1/accounts/:account/releases': { send: (as) => as.get(`${A}/releases`), expect: 'empty empty empty ok empty', target: () => ids.release },
    'GET /v1/accounts/:account/releases/:id': { send: (as) => as.get(`${A}/releases/${ids.release}`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/releases/:id/package': { send: (as) => as.get(`${A}/releases/${ids.release}/package`), expect: '404 404 404 ok 404' },
    'POST /v1/accounts/:account/releases': { send: (as) => json(as.post(`${A}/releases`), doc('releases', { version: '9.0.0', channel: 'stable' }, { product: rel('products', ids.app) })), expect: '401 404 403 403 403' },
    'PATCH /v1/accounts/:account/releases/:id': { send: (as) => json(as.patch(`${A}/releases/${ids.release}`), doc('releases', { name: 'Renamed' })), expect: '401 404 404 403 404' },
    'DELETE /v1/accounts/:account/releases/:id': { send: (as) => as.delete(`${A}/releases/${ids.release}`), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/releases/:id/actions/publish': { send: (as) => as.post(`${A}/releases/${ids.release}/actions/publish`), expect: '401 404 404 403 404' },
    'POST /v1/accounts/:account/releases/:id/actions/yank': { send: (as) => as.post(`${A}/releases/${ids.release}/actions/yank`), expect: '401 404 404 403 404' },
    'GET /v1/accounts/:account/releases/:id/constraints': { send: (as) => as.get(`${A}/releases/${ids.release}/constraints`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/releases/:id/constraints/:constraint': { send: (as) => as.get(`${A}/releases/${ids.release}/constraints/${ids.constraint}`), expect: '404 404 404 ok 404' },
    'POST /v1/accounts/:account/releases/:id/constraints': {
      send: (as) => json(as.post(`${A}/releases/${ids.release}/constraints`), { data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', ids.gold) } }] }),
      expect: '401 404 404 403 404',
    },
    'DELETE /v1/accounts/:account/releases/:id/constraints': { send: (as) => json(as.delete(`${A}/releases/${ids.release}/constraints`), { data: [{ type: 'constraints', id: ids.constraint }] }), expect: '401 404 404 403 404' },
    'GET /v1/accounts/:account/releases/:id/entitlements': { send: (as) => as.get(`${A}/releases/${ids.release}/entitlements`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/releases/:id/artifacts': { send: (as) => as.get(`${A}/releases/${ids.release}/artifacts`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/releases/:id/upgrade': { send: (as) => as.get(`${A}/releases/${ids.release}/upgrade`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/releases/actions/upgrade': { send: (as) => as.get(`${A}/releases/actions/upgrade?product=app&package=app-py&version=1.0.0`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/artifacts': { send: (as) => as.get(`${A}/artifacts`), expect: 'empty empty empty ok empty', target: () => ids.artifact },
    'GET /v1/accounts/:account/artifacts/:id': { send: (as) => as.get(`${A}/artifacts/${ids.artifact}`), expect: '404 404 404 ok 404' },
    'GET /v1/accounts/:account/artifacts/:id/*filename': { send: (as) => as.get(`${A}/artifacts/${ids.artifact}/${ids.wheel}`), expect: '404 404 404 ok 404' },
    'POST /v1/accounts/:account/artifacts': { send: (as) => json(as.post(`${A}/artifacts`), doc('artifacts', { filename: 'new.bin' }, { release: rel('releases', ids.release) })), expect: '401 404 403 403 403' },
    'PATCH /v1/accounts/:account/artifacts/:id': { send: (as) => json(as.patch(`${A}/artifacts/${ids.artifact}`), doc('artifacts', { signature: 'forged' })), expect: '401 404 404 403 404' },
    'DELETE /v1/accounts/:account/artifacts/:id': { send: (as) => as.delete(`${A}/artifacts/${ids.artifact}`), expect: '401 404 404 403 404' },

    'GET /v1/accounts/:account/engines/tauri/:package': { send: (as) => as.get(`${A}/engines/tauri/desk?platform=linux&arch=x86_64&version=1.0.0`), expect: '404 404 none ok none' },
    'GET /v1/accounts/:account/engines/pypi/simple': { send: (as) => as.get(`${A}/engines/pypi/simple/`), expect: 'empty empty empty ok empty', target: () => 'app-py' },
    'GET /v1/accounts/:account/engines/pypi/simple/:project': { send: (as) => as.get(`${A}/engines/pypi/simple/app-py/`), expect: '401 403 403 ok 403' },
    'GET /v1/accounts/:account/engines/pypi/files/:sha256/*filename': { send: (as) => as.get(`${A}/engines/pypi/files/${ids.wheelSha}/${ids.wheel}`), expect: '404 404 404 ok 404' },
    'POST /v1/accounts/:account/engines/pypi': { send: (as) => upload(as.post(`${A}/engines/pypi`), '2.0.0'), expect: '401 404 403 403 403' },
    'PUT /v1/accounts/:account/engines/pypi': { send: (as) => upload(as.put(`${A}/engines/pypi`), '2.0.0'), expect: '401 404 403 403 403' },
    'GET /v1/accounts/:account/products/:product/engines/pypi/simple': { send: (as) => as.get(`${A}/products/app/engines/pypi/simple/`), expect: '404 404 empty ok empty', target: () => 'app-py' },
    'GET /v1/accounts/:account/products/:product/engines/pypi/simple/:project': { send: (as) => as.get(`${A}/products/app/engines/pypi/simple/app-py/`), expect: '401 403 403 ok 403' },
    'GET /v1/accounts/:account/products/:product/engines/pypi/files/:sha256/*filename': {
      send: (as) => as.get(`${A}/products/app/engines/pypi/files/${ids.wheelSha}/${ids.wheel}`),
      expect: '404 404 404 ok 404',
    },
    'POST /v1/accounts/:account/products/:product/engines/pypi': { send: (as) => upload(as.post(`${A}/products/app/engines/pypi`), '2.0.0'), expect: '401 404 403 403 403' },
    'PUT /v1/accounts/:account/products/:product/engines/pypi': { send: (as) => upload(as.put(`${A}/products/app/engines/pypi`), '2.0.0'), expect: '401 404 403 403 403' },
    'PUT /v1/accounts/:account/engines/generic/:package/:version/:filename': { send: (as) => as.put(`${A}/engines/generic/tool/1.0.0/new.bin`).send('new bytes'), expect: '401 404 403 403 403' },
    'GET /v1/accounts/:account/engines/generic/:package/:version/:filename': { send: (as) => as.get(`${A}/engines/generic/tool/1.0.0/tool.bin`), expect: '401 404 404 ok 404' },
    'DELETE /v1/accounts/:account/engines/generic/:package/:version/:filename': { send: (as) => as.delete(`${A}/engines/generic/tool/1.0.0/tool.bin`), expect: '401 404 404 403 404' },
    'GET /v1/accounts/:account/engines/generic/:package/:version': { send: (as) => as.get(`${A}/engines/generic/tool/1.0.0`), expect: '401 404 404 ok 404' },
    'DELETE /v1/accounts/:account/engines/generic/:package/:version': { send: (as) => as.delete(`${A}/engines/generic/tool/1.0.0`), expect: '401 404 404 403 404' },
    'GET /v1/accounts/:account/engines/generic/:package': { send: (as) => as.get(`${A}/engines/generic/tool`), expect: '401 404 empty ok empty', target: () => '1.0.0' },
  };

  /** The documented answer of a row for a bearer (SPEC §1.5 for credentials that fail everywhere). */
  function expected(row: Row, who: BearerName): Outcome {
    const [anonymous, otherProduct, license, readOnly, customer] = row.expect.split(' ') as Outcome[];
    if (row.unscoped) return anonymous;
    switch (who) {
      case 'no credentials':
        return anonymous;
      case "another account's admin token":
      case 'a revoked token':
        return '401';
      case 'an expired license under REVOKE_ACCESS':
      case 'a suspended license':
        return '403';
      case 'a product token of another product':
        return otherProduct;
      case 'a license without the entitlement':
        return license;
      case 'a read-only user':
        return readOnly;
      case 'a customer user':
        return customer;
    }
  }

  const CODES: Partial<Record<BearerName, string>> = {
    "another account's admin token": 'TOKEN_INVALID',
    'a revoked token': 'TOKEN_INVALID',
    'an expired license under REVOKE_ACCESS': 'LICENSE_EXPIRED',
    'a suspended license': 'LICENSE_SUSPENDED',
  };

  function matches(res: request.Response, outcome: Outcome, row: Row, who: BearerName): boolean {
    const status = res.status;
    switch (outcome) {
      case 'ok':
        return status >= 200 && status < 400;
      case 'none':
        return status === 204;
      case 'empty':
        return status === 200 && !(res.text ?? JSON.stringify(res.body)).includes(row.target!());
      case '404':
        return status === 404 || (status === 422 && /_NOT_FOUND$/.test(res.body?.errors?.[0]?.code ?? ''));
      default: {
        if (String(status) !== outcome) return false;
        const code = row.unscoped ? undefined : CODES[who];
        // Engine routes answer in their protocol: plain text for PyPI, with the reason phrase.
        return !code || !res.body?.errors || res.body.errors[0].code === code;
      }
    }
  }

  const keys = Object.keys(ROWS);
  const cases = keys.flatMap((key) => BEARERS.map((who) => [key, who] as const));

  it('has a row for every route the application serves, and none for a route it does not', () => {
    const served = applicationRoutes(t.app)
      .filter((route) => route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.path}`);
    expect(served.filter((key) => !(key in ROWS))).toEqual([]);
    expect(keys.filter((key) => !served.includes(key))).toEqual([]);
    expect(cases.length).toBe(served.length * BEARERS.length);
  });

  it.each(cases)('%s as %s: the documented answer, and nothing changed', async (key, who) => {
    const row = ROWS[key];
    const want = expected(row, who);
    const before = await footprint(t);
    const res = await row.send(t.as(headers[who]));
    if (!matches(res, want, row, who)) throw new Error(`expected ${want}, got ${res.status} ${res.text?.slice(0, 300)}`);
    // A permitted write changes what it writes (a read-only user creating their own token).
    if (want === 'ok' && !['GET', 'HEAD'].includes(key.split(' ')[0])) return;
    expect(await footprint(t)).toEqual(before);
  });
});
