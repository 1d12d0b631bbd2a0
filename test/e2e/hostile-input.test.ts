import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { localPath, putBytes, randomFile, sha256 } from '../support/upload.js';

/** SPEC §1.3, §10: hostile names, values and bodies get a clear 4xx and change nothing. */
describe('hostile input', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  let productId: string;
  let releaseId: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const productRel = () => ({ product: { data: { type: 'products', id: productId } } });

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
    productId = (await c.product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' })).id;
    releaseId = (await admin().post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, productRel())).expect(201)).body.data.id;
  });
  afterAll(() => t.close());

  it.each([
    '/releases/a%00b',
    '/artifacts/a%00b',
    '/releases?product=a%00',
    '/artifacts?platform=%00',
    '/packages/a%00',
    '/engines/a%00',
  ])('a NUL in %s → 400, even anonymously', async (path) => {
    const res = await t.as(null).get(`${acme.base}${path}`).expect(400);
    expect(res.body.errors[0].code).toBe('URL_INVALID');
  });

  it('a broken percent-encoding → 400', async () => {
    await t.as(null).get(`${acme.base}/releases/%E0%A4%A`).expect(400);
  });

  it('a NUL in the account segment → 400', async () => {
    await t.as(null).get('/v1/accounts/de%00fault/releases').expect(400);
  });

  it.each([
    ['a NUL in a value', { name: 'x\u0000' }],
    ['a NUL in metadata', { name: 'x', metadata: { a: '\u0000' } }],
    ['a NUL in a key', { name: 'x', metadata: { 'a\u0000': 1 } }],
    ['an unpaired surrogate', { name: 'sur\ud800' }],
  ])('%s in a JSON body → 400 and nothing created', async (_, attributes) => {
    const before = (await admin().get(`${acme.base}/products`)).body.meta.count;
    const res = await admin().post(`${acme.base}/products`).send(doc('products', attributes)).expect(400);
    expect(res.body.errors[0].code).toBe('BODY_INVALID');
    expect((await admin().get(`${acme.base}/products`)).body.meta.count).toBe(before);
  });

  it('deeply nested metadata → 400, not a stack overflow', async () => {
    const nested = `${'['.repeat(3000)}${']'.repeat(3000)}`;
    const body = `{"data":{"type":"products","attributes":{"name":"deep","metadata":{"a":${nested}}}}}`;
    const res = await admin().post(`${acme.base}/products`).set('Content-Type', 'application/vnd.api+json').send(body).expect(400);
    expect(res.body.errors[0].detail).toMatch(/nests deeper/);
  });

  it.each(['gzip', 'br', 'deflate'])('a corrupt %s body → 400, before authentication', async (encoding) => {
    const res = await t.as(null).post(`${acme.base}/releases`).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('{}').expect(400);
    expect(res.body.errors[0].code).toBe('BAD_REQUEST');
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('an attribute named %s → 400', async (name) => {
    const body = `{"data":{"type":"releases","attributes":{"${name}":{}}}}`;
    const res = await admin().patch(`${acme.base}/releases/${releaseId}`).set('Content-Type', 'application/vnd.api+json').send(body).expect(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'ATTRIBUTE_UNPERMITTED', source: { pointer: `/data/attributes/${name}` } });
  });

  it.each([
    ['a week date', '2020-W01'],
    ['an ordinal date', '2020-100'],
    ['a date without a time', '2020-01-01'],
    ['a time without an offset', '2020-01-01T00:00:00'],
  ])('%s as a timestamp → 400', async (_, value) => {
    const res = await admin().patch(`${acme.base}/releases/${releaseId}`).send(doc('releases', { backdated: value })).expect(400);
    expect(res.body.errors[0].code).toBe('BACKDATED_INVALID');
    const license = await c.license((await c.policy(productId)).id);
    const expiry = await admin().patch(`${acme.base}/licenses/${license.id}`).send(doc('licenses', { expiry: value })).expect(400);
    expect(expiry.body.errors[0].code).toBe('EXPIRY_INVALID');
  });

  it('a duration past the column range → 422', async () => {
    const res = await admin().post(`${acme.base}/policies`).send(doc('policies', { name: 'p', duration: 2147483648 }, productRel())).expect(422);
    expect(res.body.errors[0].code).toBe('DURATION_INVALID');
    await admin().post(`${acme.base}/policies`).send(doc('policies', { name: 'p', duration: 2147483647 }, productRel())).expect(201);
  });

  it('C1 control characters in a filename → 422', async () => {
    const res = await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'a\u0085b.bin' }, { release: { data: { type: 'releases', id: releaseId } } })).expect(422);
    expect(res.body.errors[0].code).toBe('FILENAME_INVALID');
  });

  describe('filenames (docs/security.md)', () => {
    const artifact = (filename: string) =>
      admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename }, { release: { data: { type: 'releases', id: releaseId } } }));

    it.each([
      ['a right-to-left override', 'invoice\u202Efdp.exe'],
      ['a zero-width space', 'setup\u200B.exe'],
      ['a byte order mark', '\uFEFFsetup.exe'],
    ])('%s → 422 FILENAME_INVALID', async (_, filename) => {
      const res = await artifact(filename).expect(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'FILENAME_INVALID', source: { pointer: '/data/attributes/filename' } });
    });

    it('an NFD name is stored in NFC, its twin is the same artifact, and either spelling finds it', async () => {
      const nfd = 'resume\u0301.pdf';
      const nfc = 'resum\u00E9.pdf';
      const created = await artifact(nfd).expect(200);
      expect(created.body.data.attributes.filename).toBe(nfc);
      // Still WAITING: creating it again is the same artifact with a new upload URL.
      const twin = await artifact(nfc).expect(200);
      expect(twin.body.data.id).toBe(created.body.data.id);
      const found = await admin().get(`${acme.base}/artifacts/${encodeURIComponent(nfd)}`).set('Prefer', 'no-download').expect(200);
      expect(found.body.data.id).toBe(created.body.data.id);
    });

    it('a filetype is derived only from an extension the filetype rule accepts', async () => {
      const res = await artifact('trail.bin ').expect(200);
      expect(res.body.data.attributes.filetype).toBeNull();
    });

    it('downloads name the file in Content-Disposition per RFC 8187', async () => {
      const name = "it's (final) *v2*.zip";
      const created = await artifact(name).expect(200);
      await putBytes(t, created.headers.location, randomFile(10)).expect(200);
      const download = await t.as(null).get(`${acme.base}/artifacts/${created.body.data.id}`).expect(303);
      const res = await t.http.get(localPath(download.headers.location)).expect(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="it's (final) *v2*.zip"; filename*=UTF-8''it%27s%20%28final%29%20%2Av2%2A.zip`);
    });
  });

  it('an upload URL in other letter case still stores the exact bytes, whatever the Content-Type', async () => {
    const created = await admin()
      .post(`${acme.base}/artifacts`)
      .set('Prefer', 'no-redirect')
      .send(doc('artifacts', { filename: 'data.json' }, { release: { data: { type: 'releases', id: releaseId } } }))
      .expect(200);
    const text = '{"real":"content"}';
    const bytes = Buffer.from(text);
    const res = await t.http.put(localPath(created.headers.location).replace('/storage/', '/STORAGE/')).set('Content-Type', 'application/json').send(text);
    expect(res.status).toBe(200);
    expect(res.body.data.attributes.sha256).toBe(sha256(bytes));
  });

  it('HEAD on a download answers like GET but counts nothing', async () => {
    const created = await admin()
      .post(`${acme.base}/artifacts`)
      .set('Prefer', 'no-redirect')
      .send(doc('artifacts', { filename: 'head.bin' }, { release: { data: { type: 'releases', id: releaseId } } }))
      .expect(200);
    await putBytes(t, created.headers.location, randomFile(10)).expect(200);
    const head = await t.as(null).head(`${acme.base}/artifacts/${created.body.data.id}`).expect(303);
    expect(head.headers.location).toContain('/storage/downloads/');
    const shown = await t.as(null).get(`${acme.base}/artifacts/${created.body.data.id}`).set('Prefer', 'no-download').expect(200);
    expect(shown.body.data.attributes.downloads).toBe(0);
  });

  it('a license cannot probe which emails exist by assigning owners', async () => {
    const policy = await c.policy(productId);
    const mine = await c.license(policy.id);
    const other = await c.license(policy.id);
    for (const email of ['nobody@acme.test', 'admin@keyshelf.local']) {
      const body = { data: { type: 'licenses', relationships: { user: { data: { type: 'users', id: email } } } } };
      await t.as(`License ${mine.attributes.key}`).patch(`${acme.base}/licenses/${other.id}`).send(body).expect(404);
      await t.as(`License ${mine.attributes.key}`).patch(`${acme.base}/licenses/${mine.id}`).send(body).expect(403);
    }
  });

  it('racing attaches of one entitlement: one 200, the rest 422 ENTITLEMENT_TAKEN', async () => {
    const entitlement = await c.entitlement('RACE');
    const license = await c.license((await c.policy(productId)).id);
    const body = { data: [{ type: 'entitlements', id: entitlement.id }] };
    const results = await Promise.all(Array.from({ length: 10 }, () => admin().post(`${acme.base}/licenses/${license.id}/entitlements`).send(body)));
    expect(results.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 200)) {
      expect(res.status).toBe(422);
      expect(res.body.errors[0].code).toBe('ENTITLEMENT_TAKEN');
    }
  });
});
