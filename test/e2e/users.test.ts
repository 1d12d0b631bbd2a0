import { basic, bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';

describe('users (SPEC §2, §3.6)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    tokens.admin = acme.adminToken;
    for (const role of ['developer', 'read-only', 'user'] as const) {
      const email = `${role}@acme.test`;
      const res = await t.as(bearer(acme.adminToken)).post(`${acme.base}/users`).send(doc('users', { email, password: 'password-1', role })).expect(201);
      ids[role] = res.body.data.id;
      tokens[role] = (await t.as(basic(email, 'password-1')).post(`${acme.base}/tokens`).expect(201)).body.data.attributes.token;
    }
  });
  afterAll(() => t.close());

  describe('roles', () => {
    it.each(['admin', 'developer', 'read-only'])('%s lists every user', async (role) => {
      const res = await t.as(bearer(tokens[role])).get(`${acme.base}/users`).expect(200);
      expect(res.body.meta.count).toBe(4);
    });

    it('a customer sees only themselves', async () => {
      const res = await t.as(bearer(tokens.user)).get(`${acme.base}/users`).expect(200);
      expect(res.body.data.map((u: { id: string }) => u.id)).toEqual([ids.user]);
      await t.as(bearer(tokens.user)).get(`${acme.base}/users/${ids.user}`).expect(200);
      await t.as(bearer(tokens.user)).get(`${acme.base}/users/${ids.developer}`).expect(404);
    });

    it.each(['developer', 'read-only', 'user'])('%s may not create, update or delete users', async (role) => {
      const as = t.as(bearer(tokens[role]));
      await as.post(`${acme.base}/users`).send(doc('users', { email: `x-${role}@acme.test` })).expect(403);
      await as.patch(`${acme.base}/users/${ids.user}`).send(doc('users', { name: 'X' })).expect(403);
      await as.delete(`${acme.base}/users/${ids.user}`).expect(403);
    });
  });

  describe('admin CRUD', () => {
    const admin = () => t.as(bearer(tokens.admin));

    it('creates, shows by id or email, updates and deletes', async () => {
      const created = await admin().post(`${acme.base}/users`).send(doc('users', { email: 'Carol@Acme.test', name: 'Carol' })).expect(201);
      const { id, attributes } = created.body.data;
      expect(attributes).toMatchObject({ email: 'Carol@Acme.test', name: 'Carol', role: 'user' });
      expect(attributes.password).toBeUndefined();
      expect(attributes.passwordHash).toBeUndefined();
      expect(created.headers.location).toBe(`${acme.base}/users/${id}`);

      await admin().get(`${acme.base}/users/carol@acme.test`).expect(200);
      const updated = await admin()
        .patch(`${acme.base}/users/${id}`)
        .send({ data: { type: 'users', id, attributes: { name: null, role: 'developer', password: 'new-password' } } })
        .expect(200);
      expect(updated.body.data.attributes).toMatchObject({ name: null, role: 'developer' });
      const token = (await t.as(basic('carol@acme.test', 'new-password')).post(`${acme.base}/tokens`).expect(201)).body.data.attributes.token;
      expect(token.startsWith('dev_')).toBe(true);

      await admin().delete(`${acme.base}/users/${id}`).expect(204);
      await admin().get(`${acme.base}/users/${id}`).expect(404);
      await t.as(bearer(token)).get(`${acme.base}/me`).expect(401);
    });

    it('a demoted user loses the rights of their older tokens at once', async () => {
      const created = await admin().post(`${acme.base}/users`).send(doc('users', { email: 'dave@acme.test', password: 'password-1', role: 'admin' })).expect(201);
      const token = (await t.as(basic('dave@acme.test', 'password-1')).post(`${acme.base}/tokens`).expect(201)).body.data.attributes.token;
      await t.as(bearer(token)).post(`${acme.base}/users`).send(doc('users', { email: 'eve@acme.test' })).expect(201);
      await admin().patch(`${acme.base}/users/${created.body.data.id}`).send(doc('users', { role: 'read-only' })).expect(200);
      await t.as(bearer(token)).post(`${acme.base}/users`).send(doc('users', { email: 'frank@acme.test' })).expect(403);
      const tokens = await t.as(bearer(token)).get(`${acme.base}/tokens`).expect(200);
      expect(tokens.body.data.map((tk: { attributes: { kind: string } }) => tk.attributes.kind)).toEqual(['read-only']);
    });

    it.each([
      ['a taken email, in any case', { email: 'DEVELOPER@acme.test' }, 422, 'EMAIL_TAKEN', '/data/attributes/email'],
      ['an invalid email', { email: 'not-an-email' }, 422, 'EMAIL_INVALID', '/data/attributes/email'],
      ['a short password', { email: 'g@acme.test', password: 'short' }, 422, 'PASSWORD_INVALID', '/data/attributes/password'],
      ['an unknown role', { email: 'g@acme.test', role: 'owner' }, 422, 'ROLE_INVALID', '/data/attributes/role'],
      ['a missing email', { name: 'G' }, 422, 'EMAIL_MISSING', '/data/attributes/email'],
      ['a name of the wrong type', { email: 'g@acme.test', name: 12 }, 400, 'NAME_INVALID', '/data/attributes/name'],
      ['an unknown attribute', { email: 'g@acme.test', nickname: 'g' }, 400, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/nickname'],
      ['a read-only attribute', { email: 'g@acme.test', created: '2020-01-01T00:00:00.000Z' }, 400, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/created'],
      ['an account id', { email: 'g@acme.test', accountId: '00000000-0000-0000-0000-000000000000' }, 400, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/accountId'],
    ])('refuses %s and creates nothing', async (_, attributes, status, code, pointer) => {
      const before = (await admin().get(`${acme.base}/users`).expect(200)).body.meta.count;
      const res = await admin().post(`${acme.base}/users`).send(doc('users', attributes)).expect(status);
      expect(res.body.errors[0]).toMatchObject({ code, source: { pointer } });
      expect((await admin().get(`${acme.base}/users`).expect(200)).body.meta.count).toBe(before);
    });

    it.each([
      ['no data', {}, '/data'],
      ['the wrong type', { data: { type: 'tokens', attributes: { email: 'h@acme.test' } } }, '/data/type'],
      ['attributes that are not an object', { data: { type: 'users', attributes: [] } }, '/data/attributes'],
      ['an unknown relationship', { data: { type: 'users', attributes: { email: 'h@acme.test' }, relationships: { account: { data: null } } } }, '/data/relationships/account'],
    ])('refuses a document with %s (400)', async (_, body, pointer) => {
      const res = await admin().post(`${acme.base}/users`).send(body).expect(400);
      expect(res.body.errors[0].source.pointer).toBe(pointer);
    });

    it('refuses a PATCH whose data.id names another user', async () => {
      const res = await admin().patch(`${acme.base}/users/${ids.user}`).send({ data: { type: 'users', id: ids.developer, attributes: { name: 'Z' } } }).expect(400);
      expect(res.body.errors[0].source.pointer).toBe('/data/id');
      const after = await admin().get(`${acme.base}/users/${ids.user}`).expect(200);
      expect(after.body.data.attributes.name).toBeNull();
    });

    it('keeps at least one admin: the last cannot be demoted or deleted', async () => {
      const other = await createAccount(t, { slug: 'solo' });
      const as = t.as(bearer(other.adminToken));
      const demote = await as.patch(`${other.base}/users/${other.adminUserId}`).send(doc('users', { role: 'developer' })).expect(422);
      expect(demote.body.errors[0]).toMatchObject({ code: 'ROLE_LAST_ADMIN', source: { pointer: '/data/attributes/role' } });
      expect((await as.delete(`${other.base}/users/${other.adminUserId}`).expect(422)).body.errors[0].code).toBe('USER_LAST_ADMIN');
      const second = await as.post(`${other.base}/users`).send(doc('users', { email: 'second@solo.test', role: 'admin' })).expect(201);
      await as.patch(`${other.base}/users/${second.body.data.id}`).send(doc('users', { role: 'developer' })).expect(200);
      await as.patch(`${other.base}/users/${second.body.data.id}`).send(doc('users', { role: 'admin' })).expect(200);
      await as.delete(`${other.base}/users/${second.body.data.id}`).expect(204);
      await as.get(`${other.base}/me`).expect(200);
    });

    it('records user events', async () => {
      const res = await admin().get(`${acme.base}/event-logs?event=user.created&page[size]=100`).expect(200);
      const resources = res.body.data.map((e: { relationships: { resource: { data: { id: string } } } }) => e.relationships.resource.data.id);
      expect(resources).toEqual(expect.arrayContaining([ids.developer, ids['read-only'], ids.user]));
    });
  });

  describe('tenancy', () => {
    it("nothing of one account is visible through another's URLs or tokens", async () => {
      const other = await createAccount(t, { slug: 'other' });
      // Another account's token on this account's routes.
      await t.as(bearer(other.adminToken)).get(`${acme.base}/users`).expect(401);
      // This account's ids through the other account's URLs, with the other's own token.
      await t.as(bearer(other.adminToken)).get(`${other.base}/users/${ids.developer}`).expect(404);
      await t.as(bearer(other.adminToken)).get(`${other.base}/users/developer@acme.test`).expect(404);
      await t.as(bearer(other.adminToken)).patch(`${other.base}/users/${ids.developer}`).send(doc('users', { name: 'X' })).expect(404);
      await t.as(bearer(other.adminToken)).delete(`${other.base}/users/${ids.developer}`).expect(404);
      const list = await t.as(bearer(other.adminToken)).get(`${other.base}/users`).expect(200);
      expect(list.body.data.map((u: { id: string }) => u.id)).toEqual([other.adminUserId]);
      const tokens = await t.as(bearer(other.adminToken)).get(`${other.base}/tokens?page[size]=100`).expect(200);
      expect(JSON.stringify(tokens.body)).not.toContain(acme.id);
      const events = await t.as(bearer(other.adminToken)).get(`${other.base}/event-logs?page[size]=100`).expect(200);
      expect(JSON.stringify(events.body)).not.toContain(acme.id);
      expect(JSON.stringify(events.body)).not.toContain(ids.developer);
      // The same email may exist in both accounts.
      await t.as(bearer(other.adminToken)).post(`${other.base}/users`).send(doc('users', { email: 'developer@acme.test' })).expect(201);
    });
  });
});
