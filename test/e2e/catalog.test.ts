import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

describe('products, packages and engines (SPEC §3.1–§3.3)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  const admin = () => t.as(bearer(acme.adminToken));
  const productRel = (id: string) => ({ product: { data: { type: 'products', id } } });

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
  });
  afterAll(() => t.close());

  describe('products', () => {
    it('default to LICENSED, are found by id or code (any case), and codes are unique', async () => {
      const product = await c.product({ name: 'Desktop', code: 'Desktop-App', metadata: { tier: 1 } });
      expect(product.attributes).toMatchObject({ distributionStrategy: 'LICENSED', code: 'Desktop-App', metadata: { tier: 1 } });
      await admin().get(`${acme.base}/products/desktop-app`).expect(200);
      const taken = await admin().post(`${acme.base}/products`).send(doc('products', { name: 'x', code: 'DESKTOP-APP' })).expect(422);
      expect(taken.body.errors[0]).toMatchObject({ code: 'CODE_TAKEN', source: { pointer: '/data/attributes/code' } });
      const other = await c.product({ name: 'Other', code: 'other-app' });
      const clash = await admin().patch(`${acme.base}/products/${other.id}`).send(doc('products', { code: 'desktop-app' })).expect(422);
      expect(clash.body.errors[0].code).toBe('CODE_TAKEN');
    });

    it.each([
      ['an unknown strategy', { name: 'x', distributionStrategy: 'SECRET' }, 422, 'DISTRIBUTION_STRATEGY_INVALID'],
      ['a UUID-shaped code', { name: 'x', code: '00000000-0000-0000-0000-000000000000' }, 422, 'CODE_INVALID'],
      ['no name', { code: 'noname' }, 422, 'NAME_MISSING'],
      ['a read-only attribute', { name: 'x', created: '2020-01-01T00:00:00.000Z' }, 400, 'ATTRIBUTE_UNPERMITTED'],
      ['an unknown attribute', { name: 'x', owner: 'me' }, 400, 'ATTRIBUTE_UNPERMITTED'],
      ['metadata over 16 KiB', { name: 'x', metadata: { blob: 'x'.repeat(16 * 1024) } }, 422, 'METADATA_INVALID'],
    ])('refuse %s and create nothing', async (_, attributes, status, code) => {
      const before = (await admin().get(`${acme.base}/products`).expect(200)).body.meta.count;
      const res = await admin().post(`${acme.base}/products`).send(doc('products', attributes)).expect(status);
      expect(res.body.errors[0].code).toBe(code);
      expect((await admin().get(`${acme.base}/products`).expect(200)).body.meta.count).toBe(before);
    });

    it('require credentials to list', async () => {
      const res = await t.as(null).get(`${acme.base}/products`).expect(401);
      expect(res.body.errors[0].code).toBe('TOKEN_MISSING');
    });

    it('issue product tokens that act as the product', async () => {
      const product = await c.product({ name: 'Tokened' });
      const res = await admin().post(`${acme.base}/products/${product.id}/tokens`).send(doc('tokens', { name: 'ci' })).expect(201);
      const token = res.body.data.attributes.token as string;
      expect(token.startsWith('prod_')).toBe(true);
      expect(res.body.data.attributes.kind).toBe('product');
      expect(res.body.data.relationships.bearer.data).toEqual({ type: 'products', id: product.id });
      const me = await t.as(bearer(token)).get(`${acme.base}/me`).expect(200);
      expect(me.body.data).toMatchObject({ type: 'products', id: product.id });
      // A product token manages its own catalog but nothing else.
      await t.as(bearer(token)).patch(`${acme.base}/products/${product.id}`).send(doc('products', { name: 'Renamed' })).expect(200);
      await t.as(bearer(token)).post(`${acme.base}/products`).send(doc('products', { name: 'Mine' })).expect(403);
      await t.as(bearer(token)).post(`${acme.base}/products/${product.id}/tokens`).expect(403);
      // Reads answer 200 or 404, never 403 (SPEC §4).
      await t.as(bearer(token)).get(`${acme.base}/users`).expect(404);
      await t.as(bearer(token)).get(`${acme.base}/event-logs`).expect(404);
      const own = await t.as(bearer(token)).get(`${acme.base}/tokens`).expect(200);
      expect(own.body.data.map((tk: { id: string }) => tk.id)).toEqual([res.body.data.id]);
    });

    it('deleting a product deletes its packages, policies, licenses and tokens', async () => {
      const product = await c.product({ name: 'Doomed' });
      const pkg = await c.package(product.id, { key: 'doomed-pkg' });
      const license = await c.license((await c.policy(product.id)).id);
      const token = await c.token(`products/${product.id}`);
      await admin().delete(`${acme.base}/products/${product.id}`).expect(204);
      await admin().get(`${acme.base}/packages/${pkg.id}`).expect(404);
      await admin().get(`${acme.base}/licenses/${license.id}`).expect(404);
      await t.as(bearer(token)).get(`${acme.base}/me`).expect(401);
      await t.as(`License ${license.attributes.key}`).get(`${acme.base}/me`).expect(401);
    });
  });

  describe('packages', () => {
    let productId: string;
    beforeAll(async () => {
      productId = (await c.product({ name: 'Lib', code: 'lib', distributionStrategy: 'OPEN' })).id;
    });

    it('store pypi keys in PEP 503 normalized form and find them by any spelling', async () => {
      const pkg = await c.package(productId, { key: 'My_Cool.Package', engine: 'pypi' });
      expect(pkg.attributes.key).toBe('my-cool-package');
      for (const spelling of ['my-cool-package', 'My_Cool.Package', 'MY__COOL--package']) {
        const res = await t.as(null).get(`${acme.base}/packages/${encodeURIComponent(spelling)}`).expect(200);
        expect(res.body.data.id).toBe(pkg.id);
      }
      const taken = await admin().post(`${acme.base}/packages`).send(doc('packages', { name: 'x', key: 'my.cool_package', engine: 'pypi' }, productRel(productId))).expect(422);
      expect(taken.body.errors[0]).toMatchObject({ code: 'KEY_TAKEN', source: { pointer: '/data/attributes/key' } });
    });

    it('keep other keys as given, unique per account in any case', async () => {
      const pkg = await c.package(productId, { key: 'Tool_CLI', engine: 'generic' });
      expect(pkg.attributes.key).toBe('Tool_CLI');
      await admin().get(`${acme.base}/packages/tool_cli`).expect(200);
      const taken = await admin().post(`${acme.base}/packages`).send(doc('packages', { name: 'x', key: 'TOOL_cli' }, productRel(productId))).expect(422);
      expect(taken.body.errors[0].code).toBe('KEY_TAKEN');
    });

    it.each([
      ['no product', doc('packages', { name: 'x', key: 'k1' }), 422, 'PRODUCT_MISSING'],
      ['an unknown product', doc('packages', { name: 'x', key: 'k1' }, { product: { data: { type: 'products', id: 'nope' } } }), 422, 'PRODUCT_NOT_FOUND'],
      ['an invalid pypi name', doc('packages', { name: 'x', key: '-bad-', engine: 'pypi' }, { product: { data: { type: 'products', id: 'lib' } } }), 422, 'KEY_INVALID'],
      ['a key with a slash', doc('packages', { name: 'x', key: 'a/b' }, { product: { data: { type: 'products', id: 'lib' } } }), 422, 'KEY_INVALID'],
      ['an unknown engine', doc('packages', { name: 'x', key: 'k2', engine: 'npm' }, { product: { data: { type: 'products', id: 'lib' } } }), 422, 'ENGINE_INVALID'],
      ['a product of the wrong type', doc('packages', { name: 'x', key: 'k3' }, { product: { data: { type: 'users', id: 'lib' } } }), 400, 'PRODUCT_INVALID'],
    ])('refuse %s', async (_, body, status, code) => {
      const res = await admin().post(`${acme.base}/packages`).send(body).expect(status);
      expect(res.body.errors[0].code).toBe(code);
    });

    it('filter by product (id or code) and engine; an unknown product gives an empty list', async () => {
      const other = await c.product({ name: 'Else', code: 'else', distributionStrategy: 'OPEN' });
      await c.package(other.id, { key: 'else-pkg', engine: 'tauri' });
      const byCode = await admin().get(`${acme.base}/packages?product=else`).expect(200);
      expect(byCode.body.data.map((p: { attributes: { key: string } }) => p.attributes.key)).toEqual(['else-pkg']);
      const byEngine = await admin().get(`${acme.base}/packages?engine=tauri`).expect(200);
      expect(byEngine.body.data.every((p: { attributes: { engine: string } }) => p.attributes.engine === 'tauri')).toBe(true);
      const none = await admin().get(`${acme.base}/packages?product=no-such-product`).expect(200);
      expect(none.body.data).toEqual([]);
      await admin().get(`${acme.base}/packages?engine=npm`).expect(400);
      await admin().get(`${acme.base}/packages?owner=me`).expect(400);
    });

    it('change key and engine on update, re-normalizing', async () => {
      const pkg = await c.package(productId, { key: 'Renamable_Thing' });
      const res = await admin().patch(`${acme.base}/packages/${pkg.id}`).send(doc('packages', { engine: 'pypi' })).expect(200);
      expect(res.body.data.attributes).toMatchObject({ key: 'renamable-thing', engine: 'pypi' });
      await admin().patch(`${acme.base}/packages/${pkg.id}`).send(doc('packages', {}, productRel(productId))).expect(400);
    });
  });

  describe('engines', () => {
    it('are derived once per engine, even under concurrent package writes', async () => {
      const product = await c.product({ name: 'Race', distributionStrategy: 'OPEN' });
      const writes = Array.from({ length: 12 }, (_, i) =>
        admin().post(`${acme.base}/packages`).send(doc('packages', { name: `r${i}`, key: `race-${i}`, engine: 'tauri' }, productRel(product.id))),
      );
      const results = await Promise.all(writes);
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
      const rows = await t.db.query(`SELECT count(*)::int AS n FROM engines WHERE account_id = $1 AND key = 'tauri'`, [acme.id]);
      expect(rows[0].n).toBe(1);
      const engine = await t.as(null).get(`${acme.base}/engines/tauri`).expect(200);
      expect(engine.body.data).toMatchObject({ type: 'engines', attributes: { key: 'tauri', name: 'Tauri' } });
      await t.as(null).get(`${acme.base}/engines/${engine.body.data.id}`).expect(200);
    });

    it('hide an engine whose packages are all invisible', async () => {
      const other = await createAccount(t, { slug: 'engines-only' });
      const oc = catalog(t, other);
      const closed = await oc.product({ name: 'Closed', distributionStrategy: 'CLOSED' });
      await oc.package(closed.id, { key: 'secret', engine: 'pypi' });
      await t.as(null).get(`${other.base}/engines/pypi`).expect(404);
      expect((await t.as(null).get(`${other.base}/engines`).expect(200)).body.data).toEqual([]);
      expect((await t.as(bearer(other.adminToken)).get(`${other.base}/engines`).expect(200)).body.data).toHaveLength(1);
    });
  });

  describe('tenancy', () => {
    it('nothing of one account is reachable through another account', async () => {
      const product = await c.product({ name: 'Mine', code: 'mine', distributionStrategy: 'OPEN' });
      const pkg = await c.package(product.id, { key: 'mine-pkg', engine: 'generic' });
      const ent = await c.entitlement('MINE');
      const policy = await c.policy(product.id);
      const license = await c.license(policy.id);
      const other = await createAccount(t, { slug: 'intruder' });
      const as = t.as(bearer(other.adminToken));
      for (const path of [`products/${product.id}`, 'products/mine', `packages/${pkg.id}`, 'packages/mine-pkg', `entitlements/${ent.id}`, 'entitlements/MINE', `policies/${policy.id}`, `licenses/${license.id}`]) {
        await as.get(`${other.base}/${path}`).expect(404);
      }
      await as.patch(`${other.base}/products/${product.id}`).send(doc('products', { name: 'x' })).expect(404);
      await as.delete(`${other.base}/packages/${pkg.id}`).expect(404);
      const packageInto = await as.post(`${other.base}/packages`).send(doc('packages', { name: 'x', key: 'x' }, productRel(product.id))).expect(422);
      expect(packageInto.body.errors[0].code).toBe('PRODUCT_NOT_FOUND');
      const licenseInto = await as.post(`${other.base}/licenses`).send(doc('licenses', {}, { policy: { data: { type: 'policies', id: policy.id } } })).expect(422);
      expect(licenseInto.body.errors[0].code).toBe('POLICY_NOT_FOUND');
      await as.post(`${other.base}/policies/${policy.id}/entitlements`).send({ data: [{ type: 'entitlements', id: ent.id }] }).expect(404);
      // Their own open catalog does not include ours, even for anonymous callers.
      expect((await t.as(null).get(`${other.base}/packages`).expect(200)).body.data).toEqual([]);
      const validation = await t.as(null).post(`${other.base}/licenses/actions/validate-key`).send({ meta: { key: license.attributes.key } }).expect(200);
      expect(validation.body.meta.code).toBe('NOT_FOUND');
      await t.as(bearer(acme.adminToken)).get(`${other.base}/products`).expect(401);
    });
  });
});
