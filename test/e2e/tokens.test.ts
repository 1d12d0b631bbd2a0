import { basic, bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';

describe('tokens (SPEC §3.6)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const users: Record<string, { id: string; email: string; password: string }> = {};

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    for (const role of ['developer', 'read-only', 'user'] as const) {
      const email = `${role}@acme.test`;
      const password = `pw:${role}:secret`;
      const res = await t.as(bearer(acme.adminToken)).post(`${acme.base}/users`).send(doc('users', { email, password, role })).expect(201);
      users[role] = { id: res.body.data.id, email, password };
    }
  });
  afterAll(() => t.close());

  const login = (role: string, body?: object) => {
    const req = t.as(basic(users[role].email, users[role].password)).post(`${acme.base}/tokens`);
    return body ? req.send(body) : req;
  };

  it.each([
    ['developer', 'developer', 'dev_'],
    ['read-only', 'read-only', 'ro_'],
    ['user', 'user', 'user_'],
  ])('email:password of a %s gives a %s token (%s…) that expires in 14 days', async (role, kind, prefix) => {
    const res = await login(role).expect(201);
    const { attributes, relationships } = res.body.data;
    expect(res.headers.location).toBe(res.body.data.links.self);
    expect(attributes.kind).toBe(kind);
    expect(attributes.token.startsWith(prefix)).toBe(true);
    expect(attributes.token.length).toBeGreaterThanOrEqual(prefix.length + 22); // ≥ 128 bits
    const days = (Date.parse(attributes.expiry) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThanOrEqual(14);
    expect(relationships.bearer.data).toEqual({ type: 'users', id: users[role].id });
    const me = await t.as(bearer(attributes.token)).get(`${acme.base}/me`).expect(200);
    expect(me.body.data.id).toBe(users[role].id);
  });

  it('takes a name and an expiry', async () => {
    const expiry = new Date(Date.now() + 3600_000).toISOString();
    const res = await login('developer', doc('tokens', { name: 'ci', expiry })).expect(201);
    expect(res.body.data.attributes).toMatchObject({ name: 'ci', expiry });
  });

  it.each([
    ['a past expiry', { expiry: '2001-01-01T00:00:00.000Z' }, 422, 'EXPIRY_INVALID'],
    ['an expiry that is no timestamp', { expiry: 'tomorrow' }, 400, 'EXPIRY_INVALID'],
    ['an impossible expiry', { expiry: '2099-02-30T00:00:00Z' }, 400, 'EXPIRY_INVALID'],
    ['an unknown attribute', { kind: 'admin' }, 400, 'ATTRIBUTE_UNPERMITTED'],
    ['a read-only attribute', { token: 'admin_mine' }, 400, 'ATTRIBUTE_UNPERMITTED'],
  ])('refuses %s', async (_, attributes, status, code) => {
    const res = await login('developer', doc('tokens', attributes)).expect(status);
    expect(res.body.errors[0].code).toBe(code);
    expect(res.body.errors[0].source.pointer).toBe(`/data/attributes/${Object.keys(attributes)[0]}`);
  });

  it('refuses a wrong password or an unknown email with 401, the same way', async () => {
    const wrong = await t.as(basic(users.developer.email, 'not-the-password')).post(`${acme.base}/tokens`).expect(401);
    const unknown = await t.as(basic('nobody@acme.test', 'not-the-password')).post(`${acme.base}/tokens`).expect(401);
    expect(wrong.body.errors[0].code).toBe('CREDENTIALS_INVALID');
    expect(unknown.body.errors[0]).toEqual(wrong.body.errors[0]);
  });

  it('needs credentials', async () => {
    const res = await t.as(null).post(`${acme.base}/tokens`).expect(401);
    expect(res.body.errors[0].code).toBe('TOKEN_MISSING');
  });

  it('staff may create tokens with their own token; those do not expire unless asked', async () => {
    const dev = (await login('developer').expect(201)).body.data.attributes.token;
    const res = await t.as(bearer(dev)).post(`${acme.base}/tokens`).send(doc('tokens', { name: 'deploy' })).expect(201);
    expect(res.body.data.attributes).toMatchObject({ kind: 'developer', expiry: null, name: 'deploy' });
  });

  it('a customer may not mint tokens with a token', async () => {
    const own = (await login('user').expect(201)).body.data.attributes.token;
    await t.as(bearer(own)).post(`${acme.base}/tokens`).expect(403);
  });

  it('lists own tokens; admins list all; the raw value is never shown again', async () => {
    const dev = (await login('developer').expect(201)).body.data.attributes.token;
    const mine = await t.as(bearer(dev)).get(`${acme.base}/tokens?page[size]=100`).expect(200);
    expect(mine.body.data.length).toBeGreaterThan(0);
    for (const token of mine.body.data) {
      expect(token.relationships.bearer.data.id).toBe(users.developer.id);
      expect(token.attributes.token).toBeUndefined();
    }
    const all = await t.as(bearer(acme.adminToken)).get(`${acme.base}/tokens?page[size]=100`).expect(200);
    const owners = new Set(all.body.data.map((token: { relationships: { bearer: { data: { id: string } } } }) => token.relationships.bearer.data.id));
    expect(owners.has(users.developer.id)).toBe(true);
    expect(owners.has(acme.adminUserId)).toBe(true);
    expect(all.body.meta.count).toBeGreaterThan(mine.body.meta.count);
  });

  it("shows a token to its owner and admins, 404 to other users", async () => {
    const dev = (await login('developer').expect(201)).body.data;
    const ro = (await login('read-only').expect(201)).body.data.attributes.token;
    await t.as(bearer(dev.attributes.token)).get(`${acme.base}/tokens/${dev.id}`).expect(200);
    await t.as(bearer(acme.adminToken)).get(`${acme.base}/tokens/${dev.id}`).expect(200);
    await t.as(bearer(ro)).get(`${acme.base}/tokens/${dev.id}`).expect(404);
    await t.as(bearer(ro)).delete(`${acme.base}/tokens/${dev.id}`).expect(404);
    await t.as(bearer(acme.adminToken)).get(`${acme.base}/tokens/not-a-uuid`).expect(404);
  });

  it('revocation is recorded in the event log', async () => {
    const dev = (await login('developer').expect(201)).body.data;
    await t.as(bearer(dev.attributes.token)).delete(`${acme.base}/tokens/${dev.id}`).expect(204);
    await t.as(bearer(dev.attributes.token)).get(`${acme.base}/me`).expect(401);
    const events = await t.as(bearer(acme.adminToken)).get(`${acme.base}/event-logs?resource=${dev.id}`).expect(200);
    const names = events.body.data.map((event: { attributes: { event: string } }) => event.attributes.event).sort();
    expect(names).toEqual(['token.created', 'token.revoked']);
    const revoked = events.body.data.find((event: { attributes: { event: string } }) => event.attributes.event === 'token.revoked');
    expect(revoked.relationships.bearer.data).toEqual({ type: 'users', id: users.developer.id });
    expect(revoked.attributes.requestId).toEqual(expect.any(String));
  });
});
