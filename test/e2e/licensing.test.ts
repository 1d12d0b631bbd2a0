import { basic, bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

describe('entitlements, policies and licenses (SPEC §3.6)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  let productId: string;
  const admin = () => t.as(bearer(acme.adminToken));

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
    productId = (await c.product({ code: 'app' })).id;
  });
  afterAll(() => t.close());

  describe('entitlements', () => {
    it('are created, found by code, renamed and deleted; codes are unique in any case', async () => {
      const e = await c.entitlement('PRO');
      await admin().get(`${acme.base}/entitlements/pro`).expect(200);
      const taken = await admin().post(`${acme.base}/entitlements`).send(doc('entitlements', { name: 'x', code: 'pro' })).expect(422);
      expect(taken.body.errors[0]).toMatchObject({ code: 'CODE_TAKEN', source: { pointer: '/data/attributes/code' } });
      await admin().patch(`${acme.base}/entitlements/${e.id}`).send(doc('entitlements', { name: 'Pro' })).expect(200);
      await admin().delete(`${acme.base}/entitlements/${e.id}`).expect(204);
      await admin().get(`${acme.base}/entitlements/${e.id}`).expect(404);
    });

    it.each([
      [{ name: 'x', code: 'has space' }, 422, 'CODE_INVALID'],
      [{ name: 'x', code: '5f0c7a36-8f4e-4c55-9a39-2b4f0f3b2a11' }, 422, 'CODE_INVALID'],
      [{ name: 'x' }, 422, 'CODE_MISSING'],
      [{ name: 'x', code: 'ok', metadata: [] }, 400, 'METADATA_INVALID'],
      [{ name: 'x', code: 'ok', metadata: { blob: 'x'.repeat(17 * 1024) } }, 422, 'METADATA_INVALID'],
    ])('refuses %j', async (attributes, status, code) => {
      const res = await admin().post(`${acme.base}/entitlements`).send(doc('entitlements', attributes)).expect(status);
      expect(res.body.errors[0].code).toBe(code);
    });
  });

  describe('policies', () => {
    it('belong to a product and carry strategies and entitlements', async () => {
      const policy = await c.policy(productId, { duration: 86400, expirationStrategy: 'REVOKE_ACCESS', authenticationStrategy: 'LICENSE' });
      expect(policy.attributes).toMatchObject({ duration: 86400, expirationStrategy: 'REVOKE_ACCESS', authenticationStrategy: 'LICENSE' });
      const gold = await c.entitlement('GOLD');
      await c.attach(`policies/${policy.id}`, [gold.id]);
      const again = await admin().post(`${acme.base}/policies/${policy.id}/entitlements`).send({ data: [{ type: 'entitlements', id: 'gold' }] }).expect(422);
      expect(again.body.errors[0].code).toBe('ENTITLEMENT_TAKEN');
      const unknown = await admin().post(`${acme.base}/policies/${policy.id}/entitlements`).send({ data: [{ type: 'entitlements', id: 'nope' }] }).expect(422);
      expect(unknown.body.errors[0].code).toBe('ENTITLEMENT_NOT_FOUND');
      const listed = await admin().get(`${acme.base}/policies/${policy.id}/entitlements`).expect(200);
      expect(listed.body.data.map((e: { id: string }) => e.id)).toEqual([gold.id]);
      await admin().delete(`${acme.base}/policies/${policy.id}/entitlements`).send({ data: [{ type: 'entitlements', id: gold.id }] }).expect(204);
      const detachAgain = await admin().delete(`${acme.base}/policies/${policy.id}/entitlements`).send({ data: [{ type: 'entitlements', id: gold.id }] }).expect(422);
      expect(detachAgain.body.errors[0].code).toBe('ENTITLEMENT_NOT_FOUND');
    });

    it.each([
      ['no product', doc('policies', { name: 'p' }), 422, 'PRODUCT_MISSING'],
      ['an unknown product', doc('policies', { name: 'p' }, { product: { data: { type: 'products', id: 'nope' } } }), 422, 'PRODUCT_NOT_FOUND'],
      ['a bad strategy', doc('policies', { name: 'p', expirationStrategy: 'SOMETIMES' }, { product: { data: { type: 'products', id: 'app' } } }), 422, 'EXPIRATION_STRATEGY_INVALID'],
      ['a zero duration', doc('policies', { name: 'p', duration: 0 }, { product: { data: { type: 'products', id: 'app' } } }), 422, 'DURATION_INVALID'],
      ['a fractional duration', doc('policies', { name: 'p', duration: 1.5 }, { product: { data: { type: 'products', id: 'app' } } }), 400, 'DURATION_INVALID'],
    ])('refuses %s', async (_, body, status, code) => {
      const res = await admin().post(`${acme.base}/policies`).send(body).expect(status);
      expect(res.body.errors[0].code).toBe(code);
    });
  });

  describe('licenses', () => {
    it('generate a key shown once, default the expiry from the policy, and compute status', async () => {
      const policy = await c.policy(productId, { duration: 2 * 86400 });
      const license = await c.license(policy.id, { name: 'Alice' });
      expect(license.attributes.key).toMatch(/^[0-9A-F]{8}(-[0-9A-F]{8}){4}$/);
      expect(license.attributes.status).toBe('EXPIRING');
      const days = (Date.parse(license.attributes.expiry as string) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(1.99);
      const shown = await admin().get(`${acme.base}/licenses/${license.id}`).expect(200);
      expect(shown.body.data.attributes.key).toBeUndefined();
      expect(shown.body.data.relationships.product.data).toEqual({ type: 'products', id: productId });
      const listed = await admin().get(`${acme.base}/licenses?policy=${policy.id}`).expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(license.attributes.key as string);
      // The key is stored as a keyed digest only.
      const rows = await t.db.query('SELECT key_digest FROM licenses WHERE id = $1', [license.id]);
      expect(rows[0].key_digest).not.toContain(license.attributes.key);
      expect(rows[0].key_digest).toMatch(/^[0-9a-f]{64}$/);
    });

    it('accept a given key once (KEY_TAKEN after) and refuse a key on update', async () => {
      const policy = await c.policy(productId);
      const license = await c.license(policy.id, { key: 'MY-OWN-KEY-0001' });
      expect(license.attributes).toMatchObject({ key: 'MY-OWN-KEY-0001', expiry: null, status: 'ACTIVE' });
      const taken = await admin().post(`${acme.base}/licenses`).send(doc('licenses', { key: 'MY-OWN-KEY-0001' }, { policy: { data: { type: 'policies', id: policy.id } } })).expect(422);
      expect(taken.body.errors[0].code).toBe('KEY_TAKEN');
      const patch = await admin().patch(`${acme.base}/licenses/${license.id}`).send(doc('licenses', { key: 'OTHER-KEY-0001' })).expect(400);
      expect(patch.body.errors[0].source.pointer).toBe('/data/attributes/key');
      for (const attribute of ['status', 'product']) {
        await admin().patch(`${acme.base}/licenses/${license.id}`).send(doc('licenses', { [attribute]: 'x' })).expect(400);
      }
    });

    it('suspend, reinstate and renew', async () => {
      const policy = await c.policy(productId, { duration: 3600 });
      const license = await c.license(policy.id);
      const suspended = await admin().post(`${acme.base}/licenses/${license.id}/actions/suspend`).expect(200);
      expect(suspended.body.data.attributes).toMatchObject({ suspended: true, status: 'SUSPENDED' });
      const reinstated = await admin().post(`${acme.base}/licenses/${license.id}/actions/reinstate`).expect(200);
      expect(reinstated.body.data.attributes.suspended).toBe(false);
      const renewed = await admin().post(`${acme.base}/licenses/${license.id}/actions/renew`).expect(200);
      expect(Date.parse(renewed.body.data.attributes.expiry) - Date.parse(license.attributes.expiry as string)).toBe(3600_000);
      const forever = await c.license((await c.policy(productId)).id);
      const refused = await admin().post(`${acme.base}/licenses/${forever.id}/actions/renew`).expect(422);
      expect(refused.body.errors[0].code).toBe('DURATION_INVALID');
      const events = await admin().get(`${acme.base}/event-logs?resource=${license.id}`).expect(200);
      expect(events.body.data.map((e: { attributes: { event: string } }) => e.attributes.event).sort()).toEqual([
        'license.created',
        'license.reinstated',
        'license.renewed',
        'license.suspended',
      ]);
    });

    it('list the effective entitlements: their own ∪ their policy’s', async () => {
      const [a, b] = [await c.entitlement('EFF-A'), await c.entitlement('EFF-B')];
      const policy = await c.policy(productId);
      await c.attach(`policies/${policy.id}`, [a.id]);
      const license = await c.license(policy.id);
      await c.attach(`licenses/${license.id}`, [b.id]);
      const res = await admin().get(`${acme.base}/licenses/${license.id}/entitlements`).expect(200);
      expect(res.body.data.map((e: { attributes: { code: string } }) => e.attributes.code).sort()).toEqual(['EFF-A', 'EFF-B']);
    });
  });

  describe('license authentication (SPEC §1.5)', () => {
    const me = (authorization: string) => t.as(authorization).get(`${acme.base}/me`);
    const expectCode = async (req: Promise<{ status: number; body: { errors: { code: string }[] } }>, status: number, code: string) => {
      const res = await req;
      expect(res.status).toBe(status);
      expect(res.body.errors[0].code).toBe(code);
    };

    it('authenticates by key with both schemes, and by license token, under MIXED', async () => {
      const license = await c.license((await c.policy(productId)).id);
      const key = license.attributes.key as string;
      for (const header of [basic('license', key), `License ${key}`]) {
        const res = await me(header).expect(200);
        expect(res.body.data).toMatchObject({ type: 'licenses', id: license.id });
      }
      const token = await c.token(`licenses/${license.id}`);
      expect(token.startsWith('lic_')).toBe(true);
      expect((await me(bearer(token)).expect(200)).body.data.id).toBe(license.id);
    });

    it.each([
      ['TOKEN', 'key', 403, 'LICENSE_NOT_ALLOWED'],
      ['NONE', 'key', 403, 'LICENSE_NOT_ALLOWED'],
      ['LICENSE', 'token', 403, 'LICENSE_NOT_ALLOWED'],
      ['NONE', 'token', 403, 'LICENSE_NOT_ALLOWED'],
      ['TOKEN', 'token', 200, null],
      ['LICENSE', 'key', 200, null],
    ])('authenticationStrategy %s with the %s → %i', async (strategy, scheme, status, code) => {
      // Tokens are issued under MIXED; the strategy under test is set afterwards.
      const policy = await c.policy(productId);
      const license = await c.license(policy.id);
      const header = scheme === 'key' ? `License ${license.attributes.key}` : bearer(await c.token(`licenses/${license.id}`));
      await admin().patch(`${acme.base}/policies/${policy.id}`).send(doc('policies', { authenticationStrategy: strategy })).expect(200);
      const res = await me(header).expect(status);
      if (code) expect(res.body.errors[0].code).toBe(code);
    });

    it.each(['LICENSE', 'NONE'])('no license token is issued under authenticationStrategy %s', async (strategy) => {
      const license = await c.license((await c.policy(productId, { authenticationStrategy: strategy })).id);
      const res = await admin().post(`${acme.base}/licenses/${license.id}/tokens`).expect(422);
      expect(res.body.errors[0].code).toBe('TOKEN_NOT_ALLOWED');
    });

    it.each([' KEY-SPACE-0001 ', 'KÉY-ÜNICODE-01', 'KEY WITH SPACE'])('a key that cannot travel in a header (%j) is refused', async (key) => {
      const policy = await c.policy(productId);
      const res = await admin().post(`${acme.base}/licenses`).send(doc('licenses', { key }, { policy: { data: { type: 'policies', id: policy.id } } })).expect(422);
      expect(res.body.errors[0].code).toBe('KEY_INVALID');
    });

    it('a suspended license → 403 LICENSE_SUSPENDED, by key and by token', async () => {
      const license = await c.license((await c.policy(productId)).id);
      const token = await c.token(`licenses/${license.id}`);
      await admin().post(`${acme.base}/licenses/${license.id}/actions/suspend`).expect(200);
      await expectCode(me(`License ${license.attributes.key}`), 403, 'LICENSE_SUSPENDED');
      await expectCode(me(bearer(token)), 403, 'LICENSE_SUSPENDED');
    });

    it('an expired license under REVOKE_ACCESS → 403 LICENSE_EXPIRED; under the other strategies it authenticates', async () => {
      const past = new Date(Date.now() - 60_000).toISOString();
      for (const strategy of ['REVOKE_ACCESS', 'RESTRICT_ACCESS', 'MAINTAIN_ACCESS', 'ALLOW_ACCESS']) {
        const license = await c.license((await c.policy(productId, { expirationStrategy: strategy })).id, { expiry: past });
        const token = await c.token(`licenses/${license.id}`);
        if (strategy === 'REVOKE_ACCESS') {
          await expectCode(me(`License ${license.attributes.key}`), 403, 'LICENSE_EXPIRED');
          await expectCode(me(bearer(token)), 403, 'LICENSE_EXPIRED');
        } else {
          await me(`License ${license.attributes.key}`).expect(200);
          await me(bearer(token)).expect(200);
        }
      }
    });

    it("another account's license key is unknown here", async () => {
      const other = await createAccount(t, { slug: 'other-lic' });
      const oc = catalog(t, other);
      const license = await oc.license((await oc.policy((await oc.product()).id)).id);
      await expectCode(me(`License ${license.attributes.key}`), 401, 'LICENSE_INVALID');
    });
  });

  describe('validate-key', () => {
    const validate = (meta: object, authorization: string | null = null) =>
      t.as(authorization).post(`${acme.base}/licenses/actions/validate-key`).send({ meta });

    it('answers only valid, code and detail for each case', async () => {
      const gold = await c.entitlement('VK-GOLD');
      const policy = await c.policy(productId, { expirationStrategy: 'RESTRICT_ACCESS' });
      const license = await c.license(policy.id);
      await c.attach(`licenses/${license.id}`, [gold.id]);
      const key = license.attributes.key as string;
      const other = await c.product({ code: 'other-app' });
      const cases: [object, boolean, string][] = [
        [{ key }, true, 'VALID'],
        [{ key, scope: { product: 'app', entitlements: ['vk-gold'] } }, true, 'VALID'],
        [{ key, scope: { product: productId } }, true, 'VALID'],
        [{ key, scope: { product: other.id } }, false, 'PRODUCT_SCOPE_MISMATCH'],
        [{ key, scope: { product: 'no-such-product' } }, false, 'PRODUCT_SCOPE_MISMATCH'],
        [{ key, scope: { entitlements: ['VK-GOLD', 'PLATINUM'] } }, false, 'ENTITLEMENTS_MISSING'],
        [{ key: 'NO-SUCH-KEY-0000' }, false, 'NOT_FOUND'],
      ];
      for (const [meta, valid, code] of cases) {
        const res = await validate(meta).expect(200);
        expect(res.headers['content-type']).toBe('application/vnd.api+json; charset=utf-8');
        expect(res.body).toEqual({ meta: { valid, code, detail: expect.any(String) } });
      }
      await admin().post(`${acme.base}/licenses/${license.id}/actions/suspend`).expect(200);
      expect((await validate({ key }).expect(200)).body.meta).toMatchObject({ valid: false, code: 'SUSPENDED' });
    });

    it('reports expiry per strategy', async () => {
      const past = new Date(Date.now() - 60_000).toISOString();
      for (const [strategy, valid] of [['RESTRICT_ACCESS', false], ['REVOKE_ACCESS', false], ['MAINTAIN_ACCESS', true], ['ALLOW_ACCESS', true]] as const) {
        const license = await c.license((await c.policy(productId, { expirationStrategy: strategy })).id, { expiry: past });
        const res = await validate({ key: license.attributes.key }).expect(200);
        expect(res.body.meta).toMatchObject({ valid, code: 'EXPIRED' });
      }
    });

    it('refuses a malformed request with 400 and bad credentials with 401', async () => {
      await validate({}).expect(400);
      await validate({ key: 'x', scope: { entitlements: 'GOLD' } }).expect(400);
      await validate({ key: 'x' }, bearer('admin_nope')).expect(401);
    });
  });
});
