import type { AddressInfo } from 'node:net';
import { createConnection } from 'node:net';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';

describe('the common layer: documents, errors, lists, request ids (SPEC §1.2–§1.4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  const admin = () => t.as(bearer(acme.adminToken));

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    for (let i = 0; i < 12; i += 1) {
      await admin().post(`${acme.base}/users`).send(doc('users', { email: `user${String(i).padStart(2, '0')}@acme.test` })).expect(201);
    }
  });
  afterAll(() => t.close());

  describe('error documents', () => {
    it('carry meta.id equal to X-Request-Id, title, detail, code and source', async () => {
      const res = await admin().post(`${acme.base}/users`).send(doc('users', { email: 'x@acme.test', bogus: 1 })).expect(400);
      expect(res.headers['content-type']).toBe('application/vnd.api+json; charset=utf-8');
      expect(res.body).toEqual({
        meta: { id: res.headers['x-request-id'] },
        errors: [{ title: 'Bad request', detail: expect.any(String), code: 'ATTRIBUTE_UNPERMITTED', source: { pointer: '/data/attributes/bogus' } }],
      });
    });

    it('take a well-formed X-Request-Id from the client and replace a bad one', async () => {
      const given = await admin().get(`${acme.base}/me`).set('X-Request-Id', 'client-req-0001').expect(200);
      expect(given.headers['x-request-id']).toBe('client-req-0001');
      const bad = await admin().get(`${acme.base}/me`).set('X-Request-Id', 'bad id <script>').expect(200);
      expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it.each([
      ['an oversized header', (base: string) => `GET ${base}/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20000)}\r\n\r\n`, 431],
      ['an unparsable request line', () => `FOO BAR\r\n\r\n`, 400],
    ])('answer %s refused by the HTTP parser with a JSON:API error and a request id', async (_, request, status) => {
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = createConnection(port, '127.0.0.1', () => socket.write(request(acme.base)));
        let data = '';
        socket.on('data', (chunk) => (data += chunk));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(raw.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      expect(raw).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).errors[0].code).toBeDefined();
    });

    it('answer an unknown route with a JSON:API 404', async () => {
      const res = await admin().get(`${acme.base}/nothing-here`).expect(404);
      expect(res.body.errors[0].code).toBe('NOT_FOUND');
    });

    it('answer malformed JSON with 400 and an oversized body with 413', async () => {
      const malformed = await admin().post(`${acme.base}/users`).set('Content-Type', 'application/vnd.api+json').send('{"data":').expect(400);
      expect(malformed.body.errors[0].code).toBe('BODY_INVALID');
      const huge = JSON.stringify(doc('users', { email: 'big@acme.test', name: 'x'.repeat(2 * 1024 * 1024) }));
      const tooLarge = await admin().post(`${acme.base}/users`).set('Content-Type', 'application/json').send(huge).expect(413);
      expect(tooLarge.body.errors[0].code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('never leak internals in a 5xx-prone path (uuid-shaped garbage is a 404, not a SQL error)', async () => {
      const res = await admin().get(`${acme.base}/users/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz`).expect(404);
      expect(JSON.stringify(res.body)).not.toMatch(/SELECT|uuid|syntax/i);
    });
  });

  describe('media types', () => {
    it('answer JSON:API by default and plain JSON when asked for it; accept both request types', async () => {
      const jsonapi = await admin().get(`${acme.base}/me`).expect(200);
      expect(jsonapi.headers['content-type']).toBe('application/vnd.api+json; charset=utf-8');
      const json = await admin().get(`${acme.base}/me`).set('Accept', 'application/json').expect(200);
      expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
      await admin()
        .post(`${acme.base}/users`)
        .set('Content-Type', 'application/vnd.api+json')
        .send(JSON.stringify(doc('users', { email: 'typed@acme.test' })))
        .expect(201);
    });
  });

  describe('pagination and order', () => {
    it('defaults to 10 per page, newest first, with links and meta', async () => {
      const res = await admin().get(`${acme.base}/users`).expect(200);
      expect(res.body.data).toHaveLength(10);
      expect(res.body.meta).toEqual({ pages: 2, count: 14 });
      expect(res.body.links).toEqual({
        self: `/v1/accounts/${acme.id}/users?page[number]=1&page[size]=10`,
        first: `/v1/accounts/${acme.id}/users?page[number]=1&page[size]=10`,
        prev: null,
        next: `/v1/accounts/${acme.id}/users?page[number]=2&page[size]=10`,
        last: `/v1/accounts/${acme.id}/users?page[number]=2&page[size]=10`,
      });
      const created = res.body.data.map((u: { attributes: { created: string } }) => u.attributes.created);
      expect([...created].sort().reverse()).toEqual(created);
    });

    it('pages through every record exactly once, in either order', async () => {
      for (const order of ['asc', 'desc']) {
        const seen: string[] = [];
        for (let page = 1; page <= 3; page += 1) {
          const res = await admin().get(`${acme.base}/users?page[size]=5&page[number]=${page}&order=${order}`).expect(200);
          seen.push(...res.body.data.map((u: { id: string }) => u.id));
        }
        expect(new Set(seen).size).toBe(14);
      }
      const asc = await admin().get(`${acme.base}/users?order=asc&page[size]=1`).expect(200);
      expect(asc.body.data[0].id).toBe(acme.adminUserId);
    });

    it.each([
      ['page[size]=101', 'page[size]'],
      ['page[size]=0', 'page[size]'],
      ['page[number]=0', 'page[number]'],
      ['page[number]=x', 'page[number]'],
      ['page[offset]=1', 'page[offset]'],
      ['page=2', 'page'],
      ['order=sideways', 'order'],
      ['sort=email', 'sort'],
      ['colour=red', 'colour'],
    ])('%s → 400 naming the parameter', async (query, parameter) => {
      const res = await admin().get(`${acme.base}/users?${query}`).expect(400);
      expect(res.body.errors[0].source).toEqual({ parameter });
    });

    it('accepts page[size]=100', async () => {
      const res = await admin().get(`${acme.base}/users?page[size]=100`).expect(200);
      expect(res.body.data).toHaveLength(14);
    });
  });

  describe('event log', () => {
    it('is for admins only; to anyone else it is not found (reads never answer 403)', async () => {
      const events = await admin().get(`${acme.base}/event-logs`).expect(200);
      await admin().post(`${acme.base}/users`).send(doc('users', { email: 'dev@acme.test', password: 'password-1', role: 'developer' })).expect(201);
      const devToken = (await t.as(`Basic ${Buffer.from('dev@acme.test:password-1').toString('base64')}`).post(`${acme.base}/tokens`).expect(201)).body.data.attributes.token;
      await t.as(bearer(devToken)).get(`${acme.base}/event-logs`).expect(404);
      await t.as(bearer(devToken)).get(`${acme.base}/event-logs/${events.body.data[0].id}`).expect(404);
    });

    it('records a write with its resource, its bearer, its request id and its metadata as JSON', async () => {
      const user = await admin().post(`${acme.base}/users`).send(doc('users', { email: 'logged@acme.test' })).expect(201);
      const patched = await admin().patch(`${acme.base}/users/${user.body.data.id}`).send(doc('users', { name: "O'Brien" })).expect(200);
      const events = await admin().get(`${acme.base}/event-logs?event=user.updated&resource=${user.body.data.id}`).expect(200);
      expect(events.body.data).toHaveLength(1);
      expect(events.body.data[0].attributes).toMatchObject({ event: 'user.updated', metadata: { changed: ['name'] }, requestId: patched.headers['x-request-id'] });
      expect(events.body.data[0].relationships.resource.data).toEqual({ type: 'users', id: user.body.data.id });
      expect(events.body.data[0].relationships.bearer.data.type).toBe('users');
    });

    it('filters by event and by resource; a resource that is no id gives an empty list', async () => {
      const users = await admin().get(`${acme.base}/event-logs?event=user.created&page[size]=100`).expect(200);
      expect(users.body.data.every((e: { attributes: { event: string } }) => e.attributes.event === 'user.created')).toBe(true);
      expect(users.body.meta.count).toBeGreaterThanOrEqual(14);
      const none = await admin().get(`${acme.base}/event-logs?resource=not-an-id`).expect(200);
      expect(none.body.data).toEqual([]);
      await admin().get(`${acme.base}/event-logs?bearer=x`).expect(400);
    });
  });

  describe('account, health and OpenAPI', () => {
    it('shows the account to staff', async () => {
      const res = await admin().get(`/v1/accounts/acme`).expect(200);
      expect(res.body.data).toMatchObject({ type: 'accounts', id: acme.id, attributes: { slug: 'acme' }, links: { self: acme.base } });
    });

    it('reports live and ready', async () => {
      await t.http.get('/health/live').expect(200);
      const ready = await t.http.get('/health/ready').expect(200);
      expect(ready.body.checks).toEqual({ database: 'ok', storage: 'ok' });
    });

    it('serves the OpenAPI document and its page', async () => {
      const spec = await t.http.get('/openapi.json').expect(200);
      expect(spec.body.openapi).toMatch(/^3\./);
      expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/v1/accounts/{account}/tokens', '/v1/accounts/{account}/users/{id}']));
      const page = await t.http.get('/docs').expect(200);
      expect(page.text).toContain('swagger');
    });
  });
});
