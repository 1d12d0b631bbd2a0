import type { AddressInfo } from 'node:net';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

/**
 * The shared body pipe and JSON body parsing (SPEC §1.2, §1.3): what every create and update
 * body goes through, and what the engines reuse. Each case names the defect it pins.
 */
describe('request bodies', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  const ids = { product: '', package: '', release: '', policy: '', license: '', entitlement: '', artifact: '' };
  const admin = () => t.as(bearer(acme.adminToken));
  const rel = (type: string, id: string) => ({ data: { type, id } });
  const raw = (method: 'post' | 'patch', path: string, text: string, type = 'application/vnd.api+json') =>
    admin()[method](`${acme.base}${path}`).set('Content-Type', type).send(text);
  /** Sends exactly these bytes (supertest would serialize a Buffer as JSON). */
  const postBytes = async (path: string, body: Buffer, type: string) => {
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}${acme.base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': type, Authorization: bearer(acme.adminToken) },
      body,
    });
    return { status: res.status, body: (await res.json()) as { data: { attributes: Record<string, unknown> }; errors: { code: string; detail: string }[] } };
  };
  const count = async (table: string): Promise<number> => (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
    ids.product = (await c.product({ name: 'App', code: 'app' })).id;
    ids.package = (await c.package(ids.product, { key: 'app-pkg' })).id;
    ids.policy = (await c.policy(ids.product)).id;
    ids.license = (await c.license(ids.policy)).id;
    ids.entitlement = (await c.entitlement('BODY')).id;
    ids.release = (await admin().post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable' }, { product: rel('products', ids.product) })).expect(201)).body.data.id;
    ids.artifact = (
      await admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'a.bin' }, { release: rel('releases', ids.release) })).expect(200)
    ).body.data.id;
  });
  afterAll(() => t.close());

  /** Each resource with metadata: where to create one (as raw JSON members) and where to read it back. */
  const creates: [string, string, () => string, () => string][] = [
    ['products', '/products', () => '"name":"p"', () => ''],
    ['packages', '/packages', () => `"name":"k","key":"k-${Math.random().toString(36).slice(2, 10)}"`, () => `{"product":{"data":{"type":"products","id":"${ids.product}"}}}`],
    ['releases', '/releases', () => `"version":"2.0.${Math.floor(Math.random() * 1e9)}","channel":"stable"`, () => `{"product":{"data":{"type":"products","id":"${ids.product}"}}}`],
    ['artifacts', '/artifacts', () => `"filename":"m-${Math.random().toString(36).slice(2, 10)}.bin"`, () => `{"release":{"data":{"type":"releases","id":"${ids.release}"}}}`],
    ['entitlements', '/entitlements', () => `"name":"e","code":"E-${Math.random().toString(36).slice(2, 10)}"`, () => ''],
    ['policies', '/policies', () => '"name":"p"', () => `{"product":{"data":{"type":"products","id":"${ids.product}"}}}`],
    ['licenses', '/licenses', () => '"name":"l"', () => `{"policy":{"data":{"type":"policies","id":"${ids.policy}"}}}`],
  ];
  const createWithMetadata = (type: string, path: string, attributes: string, relationships: string, metadata: string) =>
    raw(
      'post',
      path,
      `{"data":{"type":"${type}","attributes":{${attributes},"metadata":${metadata}}${relationships ? `,"relationships":${relationships}` : ''}}}`,
    ).set('Prefer', 'no-redirect');

  describe('metadata keeps every key verbatim, at any depth (defects 2 and 4)', () => {
    const tricky = `{"constructor":{"constructor":1},"list":[{"constructor":"x"},{"__proto__":{"polluted":true}}],
      "nested":{"deeper":{"toString":"a","valueOf":2,"hasOwnProperty":false,"__proto__":{"isAdmin":true},"__defineGetter__":null}},
      "__proto__":[1,2],"prototype":{},"toString":"s"}`;

    it.each(creates)('%s: created with keys named like Object.prototype members, and read back exactly', async (type, path, attributes, relationships) => {
      const created = await createWithMetadata(type, path, attributes(), relationships(), tricky);
      expect([200, 201]).toContain(created.status);
      const expected = JSON.parse(tricky);
      expect(Object.getOwnPropertyNames(expected)).toContain('__proto__');
      expect(created.body.data.attributes.metadata).toEqual(expected);
      const shown = await admin().get(`${acme.base}${path}/${created.body.data.id}`).set('Prefer', 'no-download').expect(200);
      const metadata = shown.body.data.attributes.metadata;
      expect(metadata).toEqual(expected);
      expect(Object.getOwnPropertyNames(metadata).sort()).toEqual(Object.getOwnPropertyNames(expected).sort());
      expect(metadata.__proto__).toEqual([1, 2]);
      expect(Object.getOwnPropertyNames(metadata.nested.deeper)).toEqual(
        expect.arrayContaining(['toString', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__']),
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('updates keep them too', async () => {
      const res = await raw('patch', `/products/${ids.product}`, `{"data":{"type":"products","attributes":{"metadata":{"a":{"__proto__":{"x":1},"constructor":[]}}}}}`).expect(200);
      expect(res.body.data.attributes.metadata).toEqual(JSON.parse('{"a":{"__proto__":{"x":1},"constructor":[]}}'));
      expect(Object.getOwnPropertyNames(res.body.data.attributes.metadata.a).sort()).toEqual(['__proto__', 'constructor']);
    });
  });

  describe('a client-generated id (defect 6)', () => {
    const someId = '6f1c1e9e-5c3b-4a7e-9d43-2b7a2f0c1a11';
    it.each(creates)('in a %s create → 403 and nothing created, even when it names an existing record', async (type, path, attributes, relationships) => {
      const table = type;
      for (const id of [someId, () => ids.product]) {
        const before = await count(table);
        const given = typeof id === 'function' ? id() : id;
        const res = await raw(
          'post',
          path,
          `{"data":{"type":"${type}","id":"${given}","attributes":{${attributes()}}${relationships() ? `,"relationships":${relationships()}` : ''}}}`,
        ).expect(403);
        expect(res.body.errors[0]).toMatchObject({ code: 'ID_UNPERMITTED', source: { pointer: '/data/id' } });
        expect(await count(table)).toBe(before);
      }
    });

    it.each([
      ['users', '/users', doc('users', { email: 'id@acme.test' })],
      ['tokens', '/tokens', doc('tokens', { name: 'x' })],
      ['product tokens', '/products/PRODUCT/tokens', doc('tokens', {})],
      ['license tokens', '/licenses/LICENSE/tokens', doc('tokens', {})],
    ])('in a %s create → 403', async (_, path, body) => {
      const res = await admin()
        .post(`${acme.base}${path.replace('PRODUCT', ids.product).replace('LICENSE', ids.license)}`)
        .send({ data: { ...body.data, id: someId } })
        .expect(403);
      expect(res.body.errors[0].code).toBe('ID_UNPERMITTED');
    });

    it('in a constraint attach → 403, nothing attached', async () => {
      const res = await admin()
        .post(`${acme.base}/releases/${ids.release}/constraints`)
        .send({ data: [{ type: 'constraints', id: someId, relationships: { entitlement: rel('entitlements', ids.entitlement) } }] })
        .expect(403);
      expect(res.body.errors[0]).toMatchObject({ code: 'ID_UNPERMITTED', source: { pointer: '/data/0/id' } });
      expect((await admin().get(`${acme.base}/releases/${ids.release}/constraints`).expect(200)).body.data).toEqual([]);
    });

    it('an update may carry the record’s own id', async () => {
      await admin().patch(`${acme.base}/products/${ids.product}`).send({ data: { type: 'products', id: ids.product, attributes: { name: 'Same' } } }).expect(200);
    });
  });

  describe('unknown members (defect 7)', () => {
    const constraintAttach = (extra: Record<string, unknown>, linkage: Record<string, unknown> = {}, relationships: Record<string, unknown> = {}) => ({
      data: [{ type: 'constraints', ...extra, relationships: { entitlement: { data: { type: 'entitlements', id: ids.entitlement, ...linkage } }, ...relationships } }],
    });
    it.each<[string, () => string, () => object, string]>([
      ['constraint attach: attributes', () => `/releases/${ids.release}/constraints`, () => constraintAttach({ attributes: { a: 1 } }), '/data/0/attributes'],
      ['constraint attach: meta', () => `/releases/${ids.release}/constraints`, () => constraintAttach({ meta: {} }), '/data/0/meta'],
      ['constraint attach: another relationship', () => `/releases/${ids.release}/constraints`, () => constraintAttach({}, {}, { release: rel('releases', ids.release) }), '/data/0/relationships/release'],
      ['constraint attach: a member of the linkage', () => `/releases/${ids.release}/constraints`, () => constraintAttach({}, { meta: {} }), '/data/0/relationships/entitlement/data/meta'],
      ['constraint attach: a top-level member', () => `/releases/${ids.release}/constraints`, () => ({ ...constraintAttach({}), meta: {} }), '/meta'],
      ['policy attach: attributes', () => `/policies/${ids.policy}/entitlements`, () => ({ data: [{ type: 'entitlements', id: ids.entitlement, attributes: {} }] }), '/data/0/attributes'],
      ['license attach: meta', () => `/licenses/${ids.license}/entitlements`, () => ({ data: [{ type: 'entitlements', id: ids.entitlement, meta: {} }] }), '/data/0/meta'],
      ['license attach: relationships', () => `/licenses/${ids.license}/entitlements`, () => ({ data: [{ type: 'entitlements', id: ids.entitlement, relationships: {} }] }), '/data/0/relationships'],
    ])('%s → 400 naming it, nothing attached', async (_, path, body, pointer) => {
      const res = await admin().post(`${acme.base}${path()}`).send(body()).expect(400);
      expect(res.body.errors[0].source).toEqual({ pointer });
      expect(await count('release_constraints')).toBe(0);
      expect(await count('policy_entitlements')).toBe(0);
      expect(await count('license_entitlements')).toBe(0);
    });

    it.each<[string, () => string, () => object, string]>([
      ['constraint detach: attributes', () => `/releases/${ids.release}/constraints`, () => ({ data: [{ type: 'constraints', id: ids.entitlement, attributes: {} }] }), '/data/0/attributes'],
      ['policy detach: meta', () => `/policies/${ids.policy}/entitlements`, () => ({ data: [{ type: 'entitlements', id: ids.entitlement, meta: {} }] }), '/data/0/meta'],
    ])('%s → 400 naming it', async (_, path, body, pointer) => {
      const res = await admin().delete(`${acme.base}${path()}`).send(body()).expect(400);
      expect(res.body.errors[0].source).toEqual({ pointer });
    });

    it('in a resource document: a top-level member, or a member of a relationship → 400', async () => {
      const top = await admin().post(`${acme.base}/products`).send({ ...doc('products', { name: 'x' }), meta: {} }).expect(400);
      expect(top.body.errors[0].source).toEqual({ pointer: '/meta' });
      const linkage = await admin()
        .post(`${acme.base}/policies`)
        .send(doc('policies', { name: 'x' }, { product: { data: { type: 'products', id: ids.product, meta: {} } } }))
        .expect(400);
      expect(linkage.body.errors[0].source).toEqual({ pointer: '/data/relationships/product/data/meta' });
    });
  });

  describe('invalid UTF-8 (defect 8)', () => {
    it.each([
      ['a lone continuation byte', Buffer.from([0x80])],
      ['a truncated sequence', Buffer.from([0xe2, 0x82])],
      ['an overlong encoding', Buffer.from([0xc0, 0xaf])],
      ['an encoded surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ])('%s in a JSON body → 400, nothing stored', async (_, bytes) => {
      const before = await count('products');
      const body = Buffer.concat([Buffer.from('{"data":{"type":"products","attributes":{"name":"bad'), bytes, Buffer.from('"}}}')]);
      const res = await postBytes('/products', body, 'application/vnd.api+json');
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'BODY_INVALID', detail: 'The request body is not valid UTF-8' });
      expect(await count('products')).toBe(before);
    });

    it('valid UTF-8, also with a charset parameter, is stored as sent', async () => {
      const res = await postBytes('/products', Buffer.from('{"data":{"type":"products","attributes":{"name":"Ünïcødé €"}}}'), 'application/json; charset=utf-8');
      expect(res.status).toBe(201);
      expect(res.body.data.attributes.name).toBe('Ünïcødé €');
    });
  });

  describe('timestamps, strictly RFC 3339 (defect 9)', () => {
    it.each(['2026-02-30T00:00:00Z', '2025-02-29T12:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:00+24:00', '2026-01-01T00:00:00+05:60', '2016-12-31T23:59:60Z'])(
      '%s → 400 on every timestamp attribute, nothing changed',
      async (value) => {
        const backdated = await admin().patch(`${acme.base}/releases/${ids.release}`).send(doc('releases', { backdated: value })).expect(400);
        expect(backdated.body.errors[0]).toMatchObject({ code: 'BACKDATED_INVALID', source: { pointer: '/data/attributes/backdated' } });
        const expiry = await admin().patch(`${acme.base}/licenses/${ids.license}`).send(doc('licenses', { expiry: value })).expect(400);
        expect(expiry.body.errors[0].code).toBe('EXPIRY_INVALID');
        const token = await admin().post(`${acme.base}/tokens`).send(doc('tokens', { expiry: value.replace(/^20(16|25|26)/, '2099') })).expect(400);
        expect(token.body.errors[0].code).toBe('EXPIRY_INVALID');
        expect((await admin().get(`${acme.base}/releases/${ids.release}`).expect(200)).body.data.attributes.backdated).toBeNull();
      },
    );

    it('a real leap day and an offset are taken as the instant they name', async () => {
      const res = await admin().patch(`${acme.base}/releases/${ids.release}`).send(doc('releases', { backdated: '2024-02-29T23:30:00-01:00' })).expect(200);
      expect(res.body.data.attributes.backdated).toBe('2024-03-01T00:30:00.000Z');
      await admin().patch(`${acme.base}/releases/${ids.release}`).send(doc('releases', { backdated: null })).expect(200);
    });
  });

  describe('messages describe the problem (defect 12)', () => {
    it.each<[string, string, () => string, Record<string, unknown>, string, string]>([
      ['an object name', '/products', () => '', { name: { a: 1 } }, 'NAME_INVALID', 'name must be a string, not an object'],
      ['a list name', '/products', () => '', { name: ['x'] }, 'NAME_INVALID', 'name must be a string, not a list'],
      ['a numeric name', '/products', () => '', { name: 5 }, 'NAME_INVALID', 'name must be a string, not 5'],
      ['a string duration', '/policies', () => ids.product, { name: 'p', duration: '100' }, 'DURATION_INVALID', 'duration must be a whole number of seconds or null, not a string'],
      ['a fractional duration', '/policies', () => ids.product, { name: 'p', duration: 1.5 }, 'DURATION_INVALID', 'duration must be a whole number of seconds or null, not 1.5'],
      ['a null password', '/users', () => '', { email: 'n@acme.test', password: null }, 'PASSWORD_INVALID', 'password must be a string, not null'],
      ['a numeric role', '/users', () => '', { email: 'r@acme.test', role: 5 }, 'ROLE_INVALID', 'role must be a string, not 5'],
      ['a boolean strategy', '/products', () => '', { name: 'p', distributionStrategy: true }, 'DISTRIBUTION_STRATEGY_INVALID', 'distributionStrategy must be a string, not true'],
      ['a string suspended', '/licenses', () => ids.policy, { suspended: 'yes' }, 'SUSPENDED_INVALID', 'suspended must be true or false, not a string'],
      ['a list as metadata', '/products', () => '', { name: 'p', metadata: [] }, 'METADATA_INVALID', 'metadata must be a JSON object, not a list'],
      ['a numeric code', '/entitlements', () => '', { name: 'e', code: 7 }, 'CODE_INVALID', 'code must be a string, not 7'],
    ])('%s → 400 saying which type was expected', async (_, path, parent, attributes, code, detail) => {
      const type = path.slice(1);
      const relationships = type === 'policies' ? { product: rel('products', parent()) } : type === 'licenses' ? { policy: rel('policies', parent()) } : undefined;
      const res = await admin().post(`${acme.base}${path}`).send(doc(type, attributes, relationships)).expect(400);
      expect(res.body.errors[0]).toMatchObject({ code, detail });
    });

    it('a well-typed value that breaks a rule keeps its 422 and its own message', async () => {
      const short = await admin().post(`${acme.base}/users`).send(doc('users', { email: 's@acme.test', password: 'short' })).expect(422);
      expect(short.body.errors[0].detail).toBe('password must be at least 8 characters');
      const long = await admin().post(`${acme.base}/policies`).send(doc('policies', { name: 'p', duration: 2147483648 }, { product: rel('products', ids.product) })).expect(422);
      expect(long.body.errors[0].detail).toBe('duration must be at most 2147483647 seconds');
      const role = await admin().post(`${acme.base}/users`).send(doc('users', { email: 'x@acme.test', role: 'boss' })).expect(422);
      expect(role.body.errors[0].code).toBe('ROLE_INVALID');
    });

    it.each([
      ['text/plain', 'name=x'],
      ['application/xml', '<data><type>products</type></data>'],
      ['application/x-www-form-urlencoded', 'data[type]=products'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'],
    ])('a %s body on a JSON:API route → 415 MIME_TYPE_INVALID naming the accepted types', async (type, body) => {
      const before = await count('products');
      const res = await admin().post(`${acme.base}/products`).set('Content-Type', type).send(body).expect(415);
      expect(res.body.errors[0].code).toBe('MIME_TYPE_INVALID');
      expect(res.body.errors[0].detail).toMatch(/application\/vnd\.api\+json.*application\/json/);
      expect(await count('products')).toBe(before);
    });

    it('a body without a Content-Type → 415; no body at all is fine', async () => {
      const untyped = await postBytes('/products', Buffer.from('{}'), '');
      expect(untyped.status).toBe(415);
      await admin().post(`${acme.base}/licenses/${ids.license}/actions/suspend`).expect(200);
    });

    it('an unsupported charset is a 415 with the same code', async () => {
      const res = await postBytes('/products', Buffer.from('{}'), 'application/json; charset=latin1');
      expect(res.status).toBe(415);
      expect(res.body.errors[0].code).toBe('MIME_TYPE_INVALID');
    });
  });
});
