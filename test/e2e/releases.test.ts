import { basic, bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

/**
 * Releases (SPEC §3.4) end to end against PostgreSQL: documents, validation codes, uniqueness
 * under races, lookups by version and tag with narrowing, actions and their events, filters,
 * constraints, the version order computed by the database, writes by bearer kind, visibility
 * basics (SPEC §4) and tenancy.
 */
type Resource = {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  relationships: Record<string, { data?: unknown; links: { related: string } }>;
  links: { self: string };
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The channel a valid version belongs to: its first pre-release identifier, else stable. */
function channelOf(version: string): string {
  const core = version.split('+')[0];
  const dash = core.indexOf('-');
  return dash === -1 ? 'stable' : core.slice(dash + 1).split('.')[0];
}

const rel = (type: string, id: string) => ({ data: { type, id } });
const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((r) => r.id);
const sortedIds = (res: { body: { data: { id: string }[] } }) => ids(res).sort();
const versions = (res: { body: { data: { attributes: { version: string } }[] } }) => res.body.data.map((r) => r.attributes.version);

describe('releases (SPEC §3.4)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  let tokens: { developer: string; readOnly: string };
  const admin = () => t.as(bearer(acme.adminToken));
  const anonymous = () => t.as(null);

  /** A release body; the channel follows the version unless given. */
  const body = (productId: string, attributes: Record<string, unknown>, packageId?: string) =>
    doc(
      'releases',
      { channel: typeof attributes.version === 'string' ? channelOf(attributes.version) : undefined, ...attributes },
      { product: rel('products', productId), ...(packageId ? { package: rel('packages', packageId) } : {}) },
    );

  /** Creates a release as admin (or the given bearer) and returns its resource object. */
  const release = async (productId: string, attributes: Record<string, unknown>, packageId?: string, authorization = bearer(acme.adminToken)): Promise<Resource> => {
    const res = await t.as(authorization).post(`${acme.base}/releases`).send(body(productId, attributes, packageId));
    if (res.status !== 201) throw new Error(`POST /releases ${JSON.stringify(attributes)} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data;
  };

  const countOf = async (productId: string): Promise<number> =>
    (await t.db.query(`SELECT count(*)::int AS n FROM releases WHERE product_id = $1`, [productId]))[0].n;

  const eventsOf = async (resourceId: string): Promise<string[]> => {
    const res = await admin().get(`${acme.base}/event-logs?resource=${resourceId}&page[size]=100&order=asc`).expect(200);
    return res.body.data.map((e: { attributes: { event: string } }) => e.attributes.event);
  };

  const userToken = async (email: string, role: string): Promise<string> => {
    await admin().post(`${acme.base}/users`).send(doc('users', { email, password: 'password-1', role })).expect(201);
    const res = await t.as(basic(email, 'password-1')).post(`${acme.base}/tokens`).expect(201);
    return res.body.data.attributes.token;
  };

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
    tokens = { developer: await userToken('dev@acme.test', 'developer'), readOnly: await userToken('ro@acme.test', 'read-only') };
  });
  afterAll(() => t.close());

  describe('create, show, update and delete', () => {
    let productId: string;
    let packageId: string;
    beforeAll(async () => {
      productId = (await c.product({ name: 'Desktop', code: 'desktop', distributionStrategy: 'OPEN' })).id;
      packageId = (await c.package(productId, { key: 'desktop-app', engine: 'generic' })).id;
    });

    it('creates a DRAFT release with a Location header and a JSON:API document', async () => {
      const res = await admin()
        .post(`${acme.base}/releases`)
        .send(
          body(
            productId,
            { version: '1.2.3-beta.11+build.7', channel: 'beta', tag: 'nightly-beta', name: 'Beta 11', description: 'notes', metadata: { commit: 'abc' } },
            packageId,
          ),
        )
        .expect(201);
      expect(res.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
      const data: Resource = res.body.data;
      expect(data.id).toMatch(UUID);
      expect(data.type).toBe('releases');
      expect(res.headers.location).toBe(`/v1/accounts/${acme.id}/releases/${data.id}`);
      expect(data.links.self).toBe(res.headers.location);
      expect(data.attributes).toMatchObject({
        version: '1.2.3-beta.11+build.7',
        channel: 'beta',
        status: 'DRAFT',
        tag: 'nightly-beta',
        name: 'Beta 11',
        description: 'notes',
        backdated: null,
        yanked: null,
        metadata: { commit: 'abc' },
      });
      expect(data.attributes.semver).toEqual({ major: 1, minor: 2, patch: 3, prerelease: 'beta.11', build: 'build.7' });
      expect(data.attributes.created).toMatch(TIMESTAMP);
      expect(data.attributes.updated).toMatch(TIMESTAMP);
      expect(data.relationships.product).toEqual({ data: { type: 'products', id: productId }, links: { related: `/v1/accounts/${acme.id}/products/${productId}` } });
      expect(data.relationships.package).toEqual({ data: { type: 'packages', id: packageId }, links: { related: `/v1/accounts/${acme.id}/packages/${packageId}` } });
      expect(data.relationships.constraints.links.related).toBe(`${data.links.self}/constraints`);
      expect(data.relationships.constraints.data).toBeUndefined();
      // Nothing that is not an attribute of the spec leaks out.
      expect(Object.keys(data.attributes).sort()).toEqual(
        ['backdated', 'channel', 'created', 'description', 'metadata', 'name', 'semver', 'status', 'tag', 'updated', 'version', 'yanked'].sort(),
      );

      const shown = await admin().get(res.headers.location).expect(200);
      expect(shown.body.data).toEqual(data);
    });

    it('creates a PUBLISHED release without a package, backdated, with defaults for the optional attributes', async () => {
      const backdated = '2024-01-02T03:04:05.678Z';
      const data = await release(productId, { version: '2.0.0', status: 'PUBLISHED', backdated });
      expect(data.attributes).toMatchObject({ version: '2.0.0', channel: 'stable', status: 'PUBLISHED', backdated, tag: null, name: null, description: null, metadata: {} });
      expect(data.attributes.semver).toEqual({ major: 2, minor: 0, patch: 0, prerelease: null, build: null });
      expect(data.relationships.package.data).toBeNull();
      // Anonymous callers see it: published, OPEN product, no constraints.
      const shown = await anonymous().get(`${acme.base}/releases/${data.id}`).expect(200);
      expect(shown.body.data.id).toBe(data.id);
    });

    it('is also created by a developer and answers application/json when asked', async () => {
      const res = await t
        .as(bearer(tokens.developer))
        .post(`${acme.base}/releases`)
        .set('Content-Type', 'application/json')
        .set('Accept', 'application/json')
        .send(body(productId, { version: '2.0.1' }))
        .expect(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.data.attributes.status).toBe('DRAFT');
    });

    it('updates name, description, tag, backdated and metadata, found by id, version or tag', async () => {
      const created = await release(productId, { version: '3.0.0', name: 'Three', tag: 'three' }, packageId);
      const res = await admin()
        .patch(`${acme.base}/releases/${created.id}`)
        .send(doc('releases', { name: 'Three (final)', description: 'Changelog', backdated: '2023-05-06T07:08:09.000Z', metadata: { a: 1 } }))
        .expect(200);
      expect(res.body.data.attributes).toMatchObject({
        version: '3.0.0',
        name: 'Three (final)',
        description: 'Changelog',
        backdated: '2023-05-06T07:08:09.000Z',
        metadata: { a: 1 },
        tag: 'three',
        status: 'DRAFT',
      });
      expect(Date.parse(res.body.data.attributes.updated)).toBeGreaterThanOrEqual(Date.parse(created.attributes.updated as string));

      // By tag: change the tag itself; by version: clear it again and unset backdated.
      const retagged = await admin().patch(`${acme.base}/releases/three?product=desktop`).send(doc('releases', { tag: 'stable-three' })).expect(200);
      expect(retagged.body.data).toMatchObject({ id: created.id, attributes: { tag: 'stable-three' } });
      await admin().get(`${acme.base}/releases/three`).expect(404);
      const cleared = await admin()
        .patch(`${acme.base}/releases/3.0.0?product=desktop&package=desktop-app`)
        .send({ data: { type: 'releases', id: created.id, attributes: { tag: null, backdated: null } } })
        .expect(200);
      expect(cleared.body.data.attributes).toMatchObject({ tag: null, backdated: null, name: 'Three (final)', metadata: { a: 1 } });
      const shown = await admin().get(`${acme.base}/releases/${created.id}`).expect(200);
      expect(shown.body.data.attributes).toMatchObject({ tag: null, backdated: null, description: 'Changelog' });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['version', { version: '9.9.9' }, '4.0.0-rc.1'],
      ['channel', { channel: 'beta' }, '4.0.0-rc.2'],
      ['status', { status: 'PUBLISHED' }, '4.0.0-rc.3'],
      ['yanked', { yanked: '2024-01-01T00:00:00.000Z' }, '4.0.0-rc.4'],
      ['semver', { semver: { major: 9 } }, '4.0.0-rc.5'],
      ['created', { created: '2020-01-01T00:00:00.000Z' }, '4.0.0-rc.6'],
      ['updated', { updated: '2020-01-01T00:00:00.000Z' }, '4.0.0-rc.7'],
      ['accountId', { accountId: '00000000-0000-0000-0000-000000000000' }, '4.0.0-rc.8'],
      ['notes', { notes: 'unknown attribute' }, '4.0.0-rc.9'],
    ])('refuses to PATCH %s (400 ATTRIBUTE_UNPERMITTED) and changes nothing', async (name, attributes, version) => {
      const created = await release(productId, { version, name: 'Before' }, packageId);
      const res = await admin()
        .patch(`${acme.base}/releases/${created.id}`)
        .send(doc('releases', { name: 'After', ...attributes }))
        .expect(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'ATTRIBUTE_UNPERMITTED', source: { pointer: `/data/attributes/${name}` } });
      const shown = await admin().get(`${acme.base}/releases/${created.id}`).expect(200);
      expect(shown.body.data.attributes).toMatchObject({ version, name: 'Before', status: 'DRAFT', channel: 'rc', yanked: null });
    });

    it('refuses a malformed PATCH: wrong type, another id, a relationship, a non-object metadata', async () => {
      const created = await release(productId, { version: '5.0.0', name: 'Five' });
      const path = `${acme.base}/releases/${created.id}`;
      const wrongType = await admin().patch(path).send(doc('packages', { name: 'x' })).expect(400);
      expect(wrongType.body.errors[0]).toMatchObject({ code: 'TYPE_INVALID', source: { pointer: '/data/type' } });
      const otherId = await admin()
        .patch(path)
        .send({ data: { type: 'releases', id: '00000000-0000-4000-8000-000000000000', attributes: { name: 'x' } } })
        .expect(400);
      expect(otherId.body.errors[0].code).toBe('ID_INVALID');
      const relationship = await admin().patch(path).send(doc('releases', { name: 'x' }, { product: rel('products', productId) })).expect(400);
      expect(relationship.body.errors[0]).toMatchObject({ code: 'RELATIONSHIP_UNPERMITTED', source: { pointer: '/data/relationships/product' } });
      const metadata = await admin().patch(path).send(doc('releases', { metadata: ['a'] })).expect(400);
      expect(metadata.body.errors[0]).toMatchObject({ code: 'METADATA_INVALID', source: { pointer: '/data/attributes/metadata' } });
      const future = await admin().patch(path).send(doc('releases', { backdated: new Date(Date.now() + 86_400_000).toISOString() })).expect(422);
      expect(future.body.errors[0]).toMatchObject({ code: 'BACKDATED_INVALID', source: { pointer: '/data/attributes/backdated' } });
      const noBody = await admin().patch(path).send({}).expect(400);
      expect(noBody.body.errors[0].code).toBe('DATA_INVALID');
      expect((await admin().get(path).expect(200)).body.data.attributes).toMatchObject({ name: 'Five', metadata: {}, backdated: null });
    });

    it('answers a PATCH of metadata to null without a server error', async () => {
      const created = await release(productId, { version: '5.1.0', metadata: { keep: true } });
      const res = await admin().patch(`${acme.base}/releases/${created.id}`).send(doc('releases', { metadata: null }));
      // Either a refusal of the wrong JSON type (400 METADATA_INVALID, decisions.md) or clearing it
      // to {}; never a 500 (SPEC §1.3).
      if (res.status === 200) {
        expect(res.body.data.attributes.metadata).toEqual({});
      } else {
        expect(res.status).toBe(400);
        expect(res.body.errors[0]).toMatchObject({ code: 'METADATA_INVALID', source: { pointer: '/data/attributes/metadata' } });
        expect((await admin().get(`${acme.base}/releases/${created.id}`).expect(200)).body.data.attributes.metadata).toEqual({ keep: true });
      }
    });

    it('refuses a UUID-shaped tag (422 TAG_INVALID), since tags are looked up next to ids', async () => {
      const res = await admin().post(`${acme.base}/releases`).send(body(productId, { version: '5.2.0', tag: '5f0c7a36-8f4e-4c55-9a39-2b4f0f3b2a11' })).expect(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'TAG_INVALID', source: { pointer: '/data/attributes/tag' } });
    });

    it('deletes a release (204, no body), its constraints with it, and records the event', async () => {
      const created = await release(productId, { version: '6.0.0', tag: 'doomed' });
      const ent = await c.entitlement('DOOMED');
      await admin()
        .post(`${acme.base}/releases/${created.id}/constraints`)
        .send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', ent.id) } }] })
        .expect(200);
      const res = await admin().delete(`${acme.base}/releases/${created.id}`).expect(204);
      expect(res.text).toBe('');
      await admin().get(`${acme.base}/releases/${created.id}`).expect(404);
      await admin().get(`${acme.base}/releases/6.0.0?product=desktop`).expect(404);
      await admin().get(`${acme.base}/releases/doomed`).expect(404);
      const constraints = await t.db.query(`SELECT count(*)::int AS n FROM release_constraints WHERE release_id = $1`, [created.id]);
      expect(constraints[0].n).toBe(0);
      // The entitlement itself stays.
      await admin().get(`${acme.base}/entitlements/${ent.id}`).expect(200);
      expect(await eventsOf(created.id)).toEqual(['release.created', 'release.constraints.attached', 'release.deleted']);
      // Deleting it again, or something that never existed, is a 404.
      const again = await admin().delete(`${acme.base}/releases/${created.id}`).expect(404);
      expect(again.body.errors[0].code).toBe('NOT_FOUND');
      await admin().delete(`${acme.base}/releases/99.99.99`).expect(404);
    });

    it('deletes by version, narrowed to one product', async () => {
      const other = await c.product({ name: 'Other desktop', code: 'desktop-two', distributionStrategy: 'OPEN' });
      const mine = await release(productId, { version: '7.0.0' });
      const theirs = await release(other.id, { version: '7.0.0' });
      await admin().delete(`${acme.base}/releases/7.0.0?product=desktop-two`).expect(204);
      await admin().get(`${acme.base}/releases/${theirs.id}`).expect(404);
      await admin().get(`${acme.base}/releases/${mine.id}`).expect(200);
    });
  });

  describe('validation on create', () => {
    let productId: string;
    let packageId: string;
    let foreignPackageId: string;
    beforeAll(async () => {
      productId = (await c.product({ name: 'Validated', code: 'validated' })).id;
      packageId = (await c.package(productId, { key: 'validated-pkg' })).id;
      const elsewhere = await c.product({ name: 'Elsewhere', code: 'elsewhere' });
      foreignPackageId = (await c.package(elsewhere.id, { key: 'elsewhere-pkg' })).id;
    });

    const attribute = (name: string) => ({ pointer: `/data/attributes/${name}` });
    const relationship = (name: string) => ({ pointer: `/data/relationships/${name}` });
    const future = () => new Date(Date.now() + 3_600_000).toISOString();

    it.each<[string, Record<string, unknown>, string, { pointer: string }]>([
      ['a v prefix', { version: 'v1.0.0', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['a partial version', { version: '1.0', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['a major only', { version: '1', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['four numbers', { version: '1.0.0.0', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['a leading zero in major', { version: '01.0.0', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['a leading zero in minor', { version: '1.02.0', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['a leading zero in patch', { version: '1.0.00', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['a leading zero in a numeric pre-release identifier', { version: '1.0.0-beta.01', channel: 'beta' }, 'VERSION_INVALID', attribute('version')],
      ['an empty pre-release', { version: '1.0.0-', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['an empty build', { version: '1.0.0+', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['an empty identifier', { version: '1.0.0-beta..1', channel: 'beta' }, 'VERSION_INVALID', attribute('version')],
      ['surrounding spaces', { version: ' 1.0.0 ', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['an empty version', { version: '', channel: 'stable' }, 'VERSION_INVALID', attribute('version')],
      ['no version', { channel: 'stable' }, 'VERSION_MISSING', attribute('version')],
      ['no channel', { version: '1.0.0', channel: undefined }, 'CHANNEL_MISSING', attribute('channel')],
      ['an unknown channel', { version: '1.0.0', channel: 'nightly' }, 'CHANNEL_INVALID', attribute('channel')],
      ['a capitalised channel', { version: '1.0.0', channel: 'Stable' }, 'CHANNEL_INVALID', attribute('channel')],
      ['a pre-release on stable', { version: '1.0.0-beta.1', channel: 'stable' }, 'VERSION_CHANNEL_INVALID', attribute('version')],
      ['no pre-release on beta', { version: '1.0.0', channel: 'beta' }, 'VERSION_CHANNEL_INVALID', attribute('version')],
      ['a beta version on alpha', { version: '1.0.0-beta.1', channel: 'alpha' }, 'VERSION_CHANNEL_INVALID', attribute('version')],
      ['a pre-release that only starts with the key', { version: '1.0.0-betamax.1', channel: 'beta' }, 'VERSION_CHANNEL_INVALID', attribute('version')],
      ['the channel key not first', { version: '1.0.0-x.rc.1', channel: 'rc' }, 'VERSION_CHANNEL_INVALID', attribute('version')],
      ['a dev version on rc', { version: '1.0.0-dev.3', channel: 'rc' }, 'VERSION_CHANNEL_INVALID', attribute('version')],
      ['status YANKED', { version: '1.0.0', status: 'YANKED' }, 'STATUS_INVALID', attribute('status')],
      ['an unknown status', { version: '1.0.0', status: 'ARCHIVED' }, 'STATUS_INVALID', attribute('status')],
      ['a future backdated', { version: '1.0.0', backdated: '__future__' }, 'BACKDATED_INVALID', attribute('backdated')],
    ])('refuses %s with 422 and creates nothing', async (_, attributes, code, source) => {
      const before = await countOf(productId);
      const resolved = attributes.backdated === '__future__' ? { ...attributes, backdated: future() } : attributes;
      const res = await admin().post(`${acme.base}/releases`).send(body(productId, resolved, packageId)).expect(422);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0]).toMatchObject({ title: 'Unprocessable resource', code, source });
      expect(res.body.meta.id).toEqual(expect.any(String));
      expect(await countOf(productId)).toBe(before);
    });

    it('refuses a release without a product (422 PRODUCT_MISSING)', async () => {
      const res = await admin().post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable' })).expect(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'PRODUCT_MISSING', source: relationship('product') });
    });

    it.each([
      ['a code', 'no-such-product'],
      ['a UUID', '5f0c7a36-8f4e-4c55-9a39-2b4f0f3b2a11'],
    ])('refuses an unknown product given as %s (422 PRODUCT_NOT_FOUND)', async (_, id) => {
      const res = await admin().post(`${acme.base}/releases`).send(body(id, { version: '1.0.0' })).expect(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'PRODUCT_NOT_FOUND', source: relationship('product') });
    });

    it('accepts the product and package by code and key', async () => {
      const res = await admin()
        .post(`${acme.base}/releases`)
        .send(doc('releases', { version: '0.1.0', channel: 'stable' }, { product: rel('products', 'VALIDATED'), package: rel('packages', 'validated-pkg') }))
        .expect(201);
      expect(res.body.data.relationships.product.data.id).toBe(productId);
      expect(res.body.data.relationships.package.data.id).toBe(packageId);
    });

    it("refuses another product's package (422 PACKAGE_NOT_ALLOWED) and an unknown one", async () => {
      const before = await countOf(productId);
      const foreign = await admin().post(`${acme.base}/releases`).send(body(productId, { version: '1.0.0' }, foreignPackageId)).expect(422);
      expect(foreign.body.errors[0]).toMatchObject({ code: 'PACKAGE_NOT_ALLOWED', source: relationship('package') });
      const unknown = await admin().post(`${acme.base}/releases`).send(body(productId, { version: '1.0.0' }, 'no-such-package')).expect(422);
      expect(unknown.body.errors[0]).toMatchObject({ code: 'PACKAGE_NOT_FOUND', source: relationship('package') });
      expect(await countOf(productId)).toBe(before);
    });

    it.each<[string, object, string, string]>([
      ['an unknown attribute', { version: '1.0.0', channel: 'stable', notes: 'x' }, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/notes'],
      ['read-only yanked', { version: '1.0.0', channel: 'stable', yanked: '2020-01-01T00:00:00.000Z' }, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/yanked'],
      ['read-only semver', { version: '1.0.0', channel: 'stable', semver: { major: 1 } }, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/semver'],
      ['read-only created', { version: '1.0.0', channel: 'stable', created: '2020-01-01T00:00:00.000Z' }, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/created'],
      ['read-only updated', { version: '1.0.0', channel: 'stable', updated: '2020-01-01T00:00:00.000Z' }, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/updated'],
      ['accountId', { version: '1.0.0', channel: 'stable', accountId: '00000000-0000-0000-0000-000000000000' }, 'ATTRIBUTE_UNPERMITTED', '/data/attributes/accountId'],
      ['a version of the wrong JSON type', { version: 100, channel: 'stable' }, 'VERSION_INVALID', '/data/attributes/version'],
      ['metadata that is no object', { version: '1.0.0', channel: 'stable', metadata: 'x' }, 'METADATA_INVALID', '/data/attributes/metadata'],
      ['a backdated that is no timestamp', { version: '1.0.0', channel: 'stable', backdated: 'last tuesday' }, 'BACKDATED_INVALID', '/data/attributes/backdated'],
      ['an impossible backdated', { version: '1.0.0', channel: 'stable', backdated: '2026-02-30T00:00:00Z' }, 'BACKDATED_INVALID', '/data/attributes/backdated'],
    ])('refuses %s with 400', async (_, attributes, code, pointer) => {
      const before = await countOf(productId);
      const res = await admin().post(`${acme.base}/releases`).send(doc('releases', attributes as Record<string, unknown>, { product: rel('products', productId) })).expect(400);
      expect(res.body.errors[0]).toMatchObject({ code, source: { pointer } });
      expect(await countOf(productId)).toBe(before);
    });

    it('refuses malformed documents with 400', async () => {
      const unknownRelationship = await admin()
        .post(`${acme.base}/releases`)
        .send(doc('releases', { version: '1.0.0', channel: 'stable' }, { product: rel('products', productId), owner: rel('users', acme.adminUserId) }))
        .expect(400);
      expect(unknownRelationship.body.errors[0]).toMatchObject({ code: 'RELATIONSHIP_UNPERMITTED', source: { pointer: '/data/relationships/owner' } });
      const wrongType = await admin().post(`${acme.base}/releases`).send(doc('artifacts', { version: '1.0.0', channel: 'stable' }, { product: rel('products', productId) })).expect(400);
      expect(wrongType.body.errors[0]).toMatchObject({ code: 'TYPE_INVALID', source: { pointer: '/data/type' } });
      const wrongLinkage = await admin().post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable' }, { product: rel('packages', productId) })).expect(400);
      expect(wrongLinkage.body.errors[0]).toMatchObject({ code: 'PRODUCT_INVALID', source: { pointer: '/data/relationships/product' } });
      const noData = await admin().post(`${acme.base}/releases`).send({ version: '1.0.0' }).expect(400);
      expect(noData.body.errors[0].code).toBe('DATA_INVALID');
      const malformed = await admin().post(`${acme.base}/releases`).set('Content-Type', 'application/vnd.api+json').send('{"data":').expect(400);
      expect(malformed.body.errors[0].code).toBe('BODY_INVALID');
    });

    it('accepts every channel with its matching versions', async () => {
      for (const version of ['10.0.0', '10.0.1-rc.1', '10.0.1-beta', '10.0.1-alpha.0', '10.0.1-dev.20240101', '10.0.2-rc.1.2', '10.0.1-beta+exp.sha.5114f85']) {
        const created = await release(productId, { version }, packageId);
        expect(created.attributes).toMatchObject({ version, channel: channelOf(version) });
      }
    });
  });

  describe('uniqueness', () => {
    let productId: string;
    let otherProductId: string;
    let pkgA: string;
    let pkgB: string;
    beforeAll(async () => {
      productId = (await c.product({ name: 'Unique', code: 'unique' })).id;
      otherProductId = (await c.product({ name: 'Unique 2', code: 'unique-two' })).id;
      pkgA = (await c.package(productId, { key: 'unique-a', engine: 'pypi' })).id;
      pkgB = (await c.package(productId, { key: 'unique-b' })).id;
    });

    it('a version is unique per product and package, also without a package', async () => {
      await release(productId, { version: '1.0.0' }, pkgA);
      const taken = await admin().post(`${acme.base}/releases`).send(body(productId, { version: '1.0.0' }, pkgA)).expect(422);
      expect(taken.body.errors[0]).toMatchObject({ code: 'VERSION_TAKEN', source: { pointer: '/data/attributes/version' } });
      // The same version in another package, without a package, in another product: all fine.
      await release(productId, { version: '1.0.0' }, pkgB);
      await release(productId, { version: '1.0.0' });
      await release(otherProductId, { version: '1.0.0' });
      const noPackage = await admin().post(`${acme.base}/releases`).send(body(productId, { version: '1.0.0' })).expect(422);
      expect(noPackage.body.errors[0]).toMatchObject({ code: 'VERSION_TAKEN', source: { pointer: '/data/attributes/version' } });
      // Build metadata makes a different version.
      await release(productId, { version: '1.0.0+1' });
      const rows = await t.db.query(`SELECT count(*)::int AS n FROM releases WHERE product_id = $1 AND version = '1.0.0'`, [productId]);
      expect(rows[0].n).toBe(3);
    });

    it('a tag is unique per product and package, on create and on update', async () => {
      const first = await release(productId, { version: '2.0.0', tag: 'latest' }, pkgA);
      const taken = await admin().post(`${acme.base}/releases`).send(body(productId, { version: '2.0.1', tag: 'latest' }, pkgA)).expect(422);
      expect(taken.body.errors[0]).toMatchObject({ code: 'TAG_TAKEN', source: { pointer: '/data/attributes/tag' } });
      await release(productId, { version: '2.0.1', tag: 'latest' }, pkgB);
      const bare = await release(productId, { version: '2.0.1', tag: 'latest' });
      await release(otherProductId, { version: '2.0.1', tag: 'latest' });
      const second = await release(productId, { version: '2.0.2', tag: 'next' }, pkgA);
      const clash = await admin().patch(`${acme.base}/releases/${second.id}`).send(doc('releases', { tag: 'latest' })).expect(422);
      expect(clash.body.errors[0]).toMatchObject({ code: 'TAG_TAKEN', source: { pointer: '/data/attributes/tag' } });
      const bareClash = await release(productId, { version: '2.0.3' });
      const noPackageClash = await admin().patch(`${acme.base}/releases/${bareClash.id}`).send(doc('releases', { tag: 'latest' })).expect(422);
      expect(noPackageClash.body.errors[0].code).toBe('TAG_TAKEN');
      expect((await admin().get(`${acme.base}/releases/${second.id}`).expect(200)).body.data.attributes.tag).toBe('next');
      // Re-saving a release's own tag is no clash.
      await admin().patch(`${acme.base}/releases/${first.id}`).send(doc('releases', { tag: 'latest' })).expect(200);
      await admin().patch(`${acme.base}/releases/${bare.id}`).send(doc('releases', { tag: 'latest', name: 'Bare' })).expect(200);
    });

    it.each([
      ['with a package', true],
      ['without a package', false],
    ])('20 concurrent creates of one version %s: exactly one 201, the rest 422 VERSION_TAKEN', async (_, withPackage) => {
      const version = withPackage ? '3.0.0-rc.1' : '3.0.0-rc.2';
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => admin().post(`${acme.base}/releases`).send(body(productId, { version, name: `racer ${i}` }, withPackage ? pkgA : undefined))),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, ...Array(19).fill(422)]);
      for (const res of results.filter((r) => r.status === 422)) {
        expect(res.body.errors[0]).toMatchObject({ code: 'VERSION_TAKEN', source: { pointer: '/data/attributes/version' } });
      }
      const rows = await t.db.query(`SELECT id FROM releases WHERE product_id = $1 AND version = $2`, [productId, version]);
      expect(rows).toHaveLength(1);
      expect(rows[0].id).toBe(results.find((r) => r.status === 201)!.body.data.id);
      const engines = await t.db.query(`SELECT count(*)::int AS n FROM engines WHERE account_id = $1 AND key = 'pypi'`, [acme.id]);
      expect(engines[0].n).toBe(1);
    });

    it('20 concurrent creates of one tag: exactly one 201, the rest 422 TAG_TAKEN', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => admin().post(`${acme.base}/releases`).send(body(productId, { version: `4.0.${i}`, tag: 'raced' }, pkgB))),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(422)]);
      for (const res of results.filter((r) => r.status === 422)) expect(res.body.errors[0].code).toBe('TAG_TAKEN');
    });
  });

  describe('lookup by id, version or tag', () => {
    let first: { id: string; productId: string };
    let second: { id: string; productId: string };
    beforeAll(async () => {
      const p1 = await c.product({ name: 'Lookup one', code: 'lookup-one', distributionStrategy: 'OPEN' });
      const p2 = await c.product({ name: 'Lookup two', code: 'lookup-two', distributionStrategy: 'OPEN' });
      // The same version in two products; the first one created is a draft.
      first = { id: (await release(p1.id, { version: '8.0.0', tag: 'shared-tag' })).id, productId: p1.id };
      second = { id: (await release(p2.id, { version: '8.0.0', tag: 'shared-tag', status: 'PUBLISHED' })).id, productId: p2.id };
    });

    it('finds a release by version and by tag', async () => {
      const product = await c.product({ name: 'Tagged', code: 'tagged' });
      const created = await release(product.id, { version: '1.4.2', tag: 'lts' });
      expect((await admin().get(`${acme.base}/releases/1.4.2`).expect(200)).body.data.id).toBe(created.id);
      expect((await admin().get(`${acme.base}/releases/lts`).expect(200)).body.data.id).toBe(created.id);
      expect((await admin().get(`${acme.base}/releases/lts?product=tagged`).expect(200)).body.data.id).toBe(created.id);
      const missing = await admin().get(`${acme.base}/releases/1.4.3`).expect(404);
      expect(missing.body.errors[0]).toMatchObject({ code: 'NOT_FOUND', title: 'Not found' });
      await admin().get(`${acme.base}/releases/00000000-0000-4000-8000-000000000000`).expect(404);
    });

    it('finds a version with build metadata sent as %2B', async () => {
      const product = await c.product({ name: 'Build meta', code: 'build-meta' });
      const plain = await release(product.id, { version: '1.5.0' });
      const built = await release(product.id, { version: '1.5.0+20240101.sha-abc' });
      const res = await admin().get(`${acme.base}/releases/1.5.0%2B20240101.sha-abc`).expect(200);
      expect(res.body.data).toMatchObject({ id: built.id, attributes: { version: '1.5.0+20240101.sha-abc', semver: { build: '20240101.sha-abc' } } });
      expect((await admin().get(`${acme.base}/releases/1.5.0?product=build-meta`).expect(200)).body.data.id).toBe(plain.id);
      // Actions and sub-resources take the same form.
      await admin().post(`${acme.base}/releases/1.5.0%2B20240101.sha-abc/actions/publish?product=build-meta`).expect(200);
      expect((await admin().get(`${acme.base}/releases/${built.id}`).expect(200)).body.data.attributes.status).toBe('PUBLISHED');
      await admin().get(`${acme.base}/releases/1.5.0%2B20240101.sha-abc/constraints`).expect(200);
    });

    it('a bare version or tag gives the oldest match; ?product= narrows by id or code', async () => {
      expect((await admin().get(`${acme.base}/releases/8.0.0`).expect(200)).body.data.id).toBe(first.id);
      expect((await admin().get(`${acme.base}/releases/shared-tag`).expect(200)).body.data.id).toBe(first.id);
      expect((await admin().get(`${acme.base}/releases/8.0.0?product=lookup-two`).expect(200)).body.data.id).toBe(second.id);
      expect((await admin().get(`${acme.base}/releases/8.0.0?product=LOOKUP-TWO`).expect(200)).body.data.id).toBe(second.id);
      expect((await admin().get(`${acme.base}/releases/8.0.0?product=${second.productId}`).expect(200)).body.data.id).toBe(second.id);
      expect((await admin().get(`${acme.base}/releases/shared-tag?product=lookup-two`).expect(200)).body.data.id).toBe(second.id);
      expect((await admin().get(`${acme.base}/releases/8.0.0?product=${first.productId}`).expect(200)).body.data.id).toBe(first.id);
      await admin().get(`${acme.base}/releases/8.0.0?product=no-such-product`).expect(404);
      // ?product= also narrows writes and actions.
      const named = await admin().patch(`${acme.base}/releases/8.0.0?product=lookup-two`).send(doc('releases', { name: 'Second' })).expect(200);
      expect(named.body.data.id).toBe(second.id);
      expect((await admin().get(`${acme.base}/releases/${first.id}`).expect(200)).body.data.attributes.name).toBeNull();
    });

    it('the oldest match is taken among the visible ones only', async () => {
      // The older match is a draft: anonymous callers get the published one of the other product.
      expect((await anonymous().get(`${acme.base}/releases/8.0.0`).expect(200)).body.data.id).toBe(second.id);
      expect((await anonymous().get(`${acme.base}/releases/shared-tag`).expect(200)).body.data.id).toBe(second.id);
      await anonymous().get(`${acme.base}/releases/8.0.0?product=lookup-one`).expect(404);
    });

    it('?package= narrows by id or key, and an empty ?package= means releases without a package', async () => {
      const product = await c.product({ name: 'Packaged', code: 'packaged' });
      const pkg = await c.package(product.id, { key: 'Packaged_Lib', engine: 'pypi' });
      const inPackage = await release(product.id, { version: '9.0.0', tag: 'nine' }, pkg.id);
      const bare = await release(product.id, { version: '9.0.0', tag: 'nine' });
      expect((await admin().get(`${acme.base}/releases/9.0.0?product=packaged`).expect(200)).body.data.id).toBe(inPackage.id);
      expect((await admin().get(`${acme.base}/releases/9.0.0?product=packaged&package=`).expect(200)).body.data.id).toBe(bare.id);
      expect((await admin().get(`${acme.base}/releases/9.0.0?package=`).expect(200)).body.data.id).toBe(bare.id);
      expect((await admin().get(`${acme.base}/releases/nine?package=`).expect(200)).body.data.id).toBe(bare.id);
      expect((await admin().get(`${acme.base}/releases/9.0.0?package=${pkg.id}`).expect(200)).body.data.id).toBe(inPackage.id);
      expect((await admin().get(`${acme.base}/releases/9.0.0?package=packaged-lib`).expect(200)).body.data.id).toBe(inPackage.id);
      // A PyPI key matches in any spelling PEP 503 normalizes the same.
      expect((await admin().get(`${acme.base}/releases/9.0.0?package=Packaged.Lib`).expect(200)).body.data.id).toBe(inPackage.id);
      await admin().get(`${acme.base}/releases/9.0.0?package=no-such-package`).expect(404);
      // Narrowing also applies to an id: an id outside the narrowing is not found.
      await admin().get(`${acme.base}/releases/${inPackage.id}?package=`).expect(404);
      // The same narrowing on delete removes only the release without a package.
      await admin().delete(`${acme.base}/releases/9.0.0?product=packaged&package=`).expect(204);
      await admin().get(`${acme.base}/releases/${bare.id}`).expect(404);
      await admin().get(`${acme.base}/releases/${inPackage.id}`).expect(200);
    });

    it('refuses other query parameters with 400', async () => {
      const res = await admin().get(`${acme.base}/releases/8.0.0?channel=stable`).expect(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'PARAMETER_UNPERMITTED', source: { parameter: 'channel' } });
      const twice = await admin().get(`${acme.base}/releases/8.0.0?product=a&product=b`).expect(400);
      expect(twice.body.errors[0].source).toEqual({ parameter: 'product' });
    });
  });

  describe('publish and yank', () => {
    let productId: string;
    beforeAll(async () => {
      productId = (await c.product({ name: 'Actions', code: 'actions', distributionStrategy: 'OPEN' })).id;
    });

    it('publish a draft, yank it, refuse to publish it again, and log each step', async () => {
      const created = await release(productId, { version: '1.0.0' });
      await anonymous().get(`${acme.base}/releases/${created.id}`).expect(404);

      const published = await admin().post(`${acme.base}/releases/${created.id}/actions/publish`).expect(200);
      expect(published.body.data).toMatchObject({ id: created.id, type: 'releases', attributes: { status: 'PUBLISHED', yanked: null } });
      await anonymous().get(`${acme.base}/releases/${created.id}`).expect(200);

      const yanked = await admin().post(`${acme.base}/releases/1.0.0/actions/yank?product=actions`).expect(200);
      expect(yanked.body.data).toMatchObject({ id: created.id, attributes: { status: 'YANKED' } });
      expect(yanked.body.data.attributes.yanked).toMatch(TIMESTAMP);
      expect(Math.abs(Date.parse(yanked.body.data.attributes.yanked) - Date.now())).toBeLessThan(60_000);
      await anonymous().get(`${acme.base}/releases/${created.id}`).expect(404);

      const again = await admin().post(`${acme.base}/releases/${created.id}/actions/publish`).expect(422);
      expect(again.body.errors[0].code).toEqual(expect.stringMatching(/^[A-Z_]+$/));
      const shown = await admin().get(`${acme.base}/releases/${created.id}`).expect(200);
      expect(shown.body.data.attributes).toMatchObject({ status: 'YANKED', yanked: yanked.body.data.attributes.yanked });

      expect(await eventsOf(created.id)).toEqual(['release.created', 'release.published', 'release.yanked']);
      await admin().delete(`${acme.base}/releases/${created.id}`).expect(204);
      expect(await eventsOf(created.id)).toEqual(['release.created', 'release.published', 'release.yanked', 'release.deleted']);
    });

    it('record the bearer and the request id on the events', async () => {
      const created = await release(productId, { version: '1.1.0' });
      await admin().post(`${acme.base}/releases/${created.id}/actions/publish`).set('X-Request-Id', 'publish-req-0001').expect(200);
      const res = await admin().get(`${acme.base}/event-logs?resource=${created.id}&event=release.published`).expect(200);
      expect(res.body.data).toHaveLength(1);
      expect(res.body.data[0].attributes.requestId).toBe('publish-req-0001');
      expect(res.body.data[0].relationships.resource.data).toEqual({ type: 'releases', id: created.id });
      expect(res.body.data[0].relationships.bearer.data).toEqual({ type: 'users', id: acme.adminUserId });
    });

    it('a release created as PUBLISHED logs release.created and release.published', async () => {
      const created = await release(productId, { version: '1.2.0', status: 'PUBLISHED' });
      // Both are written in one transaction: their order within it is not significant.
      expect((await eventsOf(created.id)).sort()).toEqual(['release.created', 'release.published']);
    });

    it('a draft may be yanked directly, and the yank is not undone by PATCH', async () => {
      const created = await release(productId, { version: '1.3.0-beta.1' });
      const yanked = await admin().post(`${acme.base}/releases/${created.id}/actions/yank`).expect(200);
      expect(yanked.body.data.attributes.status).toBe('YANKED');
      const patched = await admin().patch(`${acme.base}/releases/${created.id}`).send(doc('releases', { status: 'PUBLISHED' })).expect(400);
      expect(patched.body.errors[0].code).toBe('ATTRIBUTE_UNPERMITTED');
      await admin().post(`${acme.base}/releases/${created.id}/actions/publish`).expect(422);
      expect((await admin().get(`${acme.base}/releases/${created.id}`).expect(200)).body.data.attributes.status).toBe('YANKED');
    });

    it('actions on an unknown release are 404', async () => {
      await admin().post(`${acme.base}/releases/77.0.0/actions/publish`).expect(404);
      await admin().post(`${acme.base}/releases/00000000-0000-4000-8000-000000000000/actions/yank`).expect(404);
    });
  });

  describe('list and filters', () => {
    let productId: string;
    let otherProductId: string;
    let pkgId: string;
    const made: Record<string, string> = {};
    const list = async (query: string) => admin().get(`${acme.base}/releases?product=filters&page[size]=100&${query}`).expect(200);

    beforeAll(async () => {
      productId = (await c.product({ name: 'Filters', code: 'filters', distributionStrategy: 'OPEN' })).id;
      otherProductId = (await c.product({ name: 'Filters 2', code: 'filters-two' })).id;
      pkgId = (await c.package(productId, { key: 'filters-pkg' })).id;
      await c.entitlement('F-GOLD');
      await c.entitlement('F-SILVER');
      const rows: [string, string | undefined, 'DRAFT' | 'PUBLISHED' | 'YANKED', string[]][] = [
        ['1.0.0', pkgId, 'PUBLISHED', []],
        ['1.1.0-rc.1', pkgId, 'PUBLISHED', ['F-GOLD']],
        ['1.1.0-beta.1', pkgId, 'DRAFT', ['F-GOLD', 'F-SILVER']],
        ['1.1.0-alpha.1', undefined, 'PUBLISHED', ['F-SILVER']],
        ['1.1.0-dev.1', undefined, 'YANKED', []],
        ['0.9.0', undefined, 'YANKED', ['F-GOLD', 'F-SILVER']],
      ];
      for (const [version, pkg, status, ents] of rows) {
        const r = await release(productId, { version, status: status === 'YANKED' ? 'PUBLISHED' : status }, pkg);
        made[version] = r.id;
        if (status === 'YANKED') await admin().post(`${acme.base}/releases/${r.id}/actions/yank`).expect(200);
        if (ents.length > 0) {
          const res = await admin()
            .post(`${acme.base}/releases/${r.id}/constraints`)
            .send({ data: ents.map((code) => ({ type: 'constraints', relationships: { entitlement: rel('entitlements', code) } })) })
            .expect(200);
          expect(res.body.data).toHaveLength(ents.length);
        }
      }
      await release(otherProductId, { version: '1.0.0' });
    });

    const sorted = (values: string[]) => [...values].sort();

    it('list newest first with paging links and meta; order=asc reverses', async () => {
      const all = await list('');
      expect(versions(all)).toEqual(['0.9.0', '1.1.0-dev.1', '1.1.0-alpha.1', '1.1.0-beta.1', '1.1.0-rc.1', '1.0.0']);
      expect(all.body.meta).toEqual({ pages: 1, count: 6 });
      const asc = await list('order=asc');
      expect(versions(asc)).toEqual(['1.0.0', '1.1.0-rc.1', '1.1.0-beta.1', '1.1.0-alpha.1', '1.1.0-dev.1', '0.9.0']);
      const page = await admin().get(`${acme.base}/releases?product=filters&page[size]=4&page[number]=2`).expect(200);
      expect(versions(page)).toEqual(['1.1.0-rc.1', '1.0.0']);
      expect(page.body.meta).toEqual({ pages: 2, count: 6 });
      expect(page.body.links).toMatchObject({ prev: expect.stringContaining('page[number]=1'), next: null, last: expect.stringContaining('page[number]=2') });
      expect(page.body.data[0].type).toBe('releases');
    });

    it('filter by product id or code, and give an empty list for an unknown product', async () => {
      const byId = await admin().get(`${acme.base}/releases?product=${productId}&page[size]=100`).expect(200);
      expect(byId.body.meta.count).toBe(6);
      const other = await admin().get(`${acme.base}/releases?product=FILTERS-TWO`).expect(200);
      expect(other.body.data.map((r: Resource) => r.relationships.product.data)).toEqual([{ type: 'products', id: otherProductId }]);
      const none = await admin().get(`${acme.base}/releases?product=no-such-product`).expect(200);
      expect(none.body).toMatchObject({ data: [], meta: { count: 0 } });
    });

    it('filter by package id or key; an empty package means releases without a package', async () => {
      expect(sorted(versions(await list(`package=${pkgId}`)))).toEqual(['1.0.0', '1.1.0-beta.1', '1.1.0-rc.1']);
      expect(sorted(versions(await list('package=filters-pkg')))).toEqual(['1.0.0', '1.1.0-beta.1', '1.1.0-rc.1']);
      expect(sorted(versions(await list('package=')))).toEqual(['0.9.0', '1.1.0-alpha.1', '1.1.0-dev.1']);
      expect((await list('package=no-such-package')).body.data).toEqual([]);
    });

    it.each([
      ['stable', ['0.9.0', '1.0.0']],
      ['rc', ['0.9.0', '1.0.0', '1.1.0-rc.1']],
      ['beta', ['0.9.0', '1.0.0', '1.1.0-beta.1', '1.1.0-rc.1']],
      ['alpha', ['0.9.0', '1.0.0', '1.1.0-alpha.1', '1.1.0-beta.1', '1.1.0-rc.1']],
      ['dev', ['1.1.0-dev.1']],
    ])('filter channel=%s by its channel set', async (channel, expected) => {
      expect(sorted(versions(await list(`channel=${channel}`)))).toEqual(expected);
    });

    it('filter by status and by yanked', async () => {
      expect(sorted(versions(await list('status=PUBLISHED')))).toEqual(['1.0.0', '1.1.0-alpha.1', '1.1.0-rc.1']);
      expect(sorted(versions(await list('status=DRAFT')))).toEqual(['1.1.0-beta.1']);
      expect(sorted(versions(await list('status=YANKED')))).toEqual(['0.9.0', '1.1.0-dev.1']);
      expect(sorted(versions(await list('yanked=true')))).toEqual(['0.9.0', '1.1.0-dev.1']);
      expect(sorted(versions(await list('yanked=false')))).toEqual(['1.0.0', '1.1.0-alpha.1', '1.1.0-beta.1', '1.1.0-rc.1']);
      const yanked = await list('yanked=true');
      expect(yanked.body.data.every((r: Resource) => typeof r.attributes.yanked === 'string')).toBe(true);
    });

    it('filter by entitlements[]: releases constrained by every code given, in any case', async () => {
      expect(sorted(versions(await list('entitlements[]=F-GOLD')))).toEqual(['0.9.0', '1.1.0-beta.1', '1.1.0-rc.1']);
      expect(sorted(versions(await list('entitlements[]=f-silver')))).toEqual(['0.9.0', '1.1.0-alpha.1', '1.1.0-beta.1']);
      expect(sorted(versions(await list('entitlements[]=F-GOLD&entitlements[]=F-SILVER')))).toEqual(['0.9.0', '1.1.0-beta.1']);
      expect((await list('entitlements[]=NO-SUCH-CODE')).body.data).toEqual([]);
    });

    it('combine filters', async () => {
      expect(versions(await list('channel=beta&status=PUBLISHED&package=filters-pkg'))).toEqual(['1.1.0-rc.1', '1.0.0']);
      expect(versions(await list('channel=rc&entitlements[]=F-GOLD'))).toEqual(['0.9.0', '1.1.0-rc.1']);
      expect(versions(await list('yanked=false&entitlements[]=F-SILVER&package='))).toEqual(['1.1.0-alpha.1']);
      expect(versions(await list('channel=stable&yanked=true'))).toEqual(['0.9.0']);
    });

    it.each([
      ['channel=nightly', 'channel'],
      ['channel=STABLE', 'channel'],
      ['status=ARCHIVED', 'status'],
      ['yanked=yes', 'yanked'],
      ['version=1.0.0', 'version'],
      ['channel=stable&channel=beta', 'channel'],
      ['page[size]=101', 'page[size]'],
      ['order=newest', 'order'],
    ])('refuse %s with 400 naming the parameter', async (query, parameter) => {
      const res = await admin().get(`${acme.base}/releases?${query}`).expect(400);
      expect(res.body.errors[0].source).toEqual({ parameter });
    });

    it('list only what the bearer may see', async () => {
      const visible = await anonymous().get(`${acme.base}/releases?product=filters&page[size]=100`).expect(200);
      // Published, OPEN, unconstrained: only 1.0.0 of this product.
      expect(versions(visible)).toEqual(['1.0.0']);
      const staff = await t.as(bearer(tokens.readOnly)).get(`${acme.base}/releases?product=filters&page[size]=100`).expect(200);
      expect(staff.body.meta.count).toBe(6);
    });
  });

  describe('constraints', () => {
    let productId: string;
    let releaseId: string;
    let pro: { id: string };
    let beta: { id: string };
    const path = () => `${acme.base}/releases/${releaseId}/constraints`;
    const attachBody = (...refs: string[]) => ({ data: refs.map((id) => ({ type: 'constraints', relationships: { entitlement: rel('entitlements', id) } })) });

    beforeAll(async () => {
      productId = (await c.product({ name: 'Constrained', code: 'constrained', distributionStrategy: 'OPEN' })).id;
      releaseId = (await release(productId, { version: '1.0.0', status: 'PUBLISHED' })).id;
      pro = await c.entitlement('C-PRO');
      beta = await c.entitlement('C-BETA');
    });

    it('attach entitlements by id or code (200 with constraint documents), list, show and list the entitlements', async () => {
      await anonymous().get(`${acme.base}/releases/${releaseId}`).expect(200);
      const res = await admin().post(path()).send(attachBody(pro.id, 'c-beta')).expect(200);
      expect(res.body.data).toHaveLength(2);
      const [first, second] = res.body.data as Resource[];
      expect(first.type).toBe('constraints');
      expect(first.id).toMatch(UUID);
      expect(first.relationships.entitlement.data).toEqual({ type: 'entitlements', id: pro.id });
      expect(second.relationships.entitlement.data).toEqual({ type: 'entitlements', id: beta.id });
      expect(first.relationships.release.data).toEqual({ type: 'releases', id: releaseId });
      expect(first.links.self).toBe(`/v1/accounts/${acme.id}/releases/${releaseId}/constraints/${first.id}`);

      const listed = await admin().get(path()).expect(200);
      expect(sortedIds(listed)).toEqual([first.id, second.id].sort());
      expect(listed.body.meta.count).toBe(2);

      const one = await admin().get(`${path()}/${first.id}`).expect(200);
      expect(one.body.data).toMatchObject({ id: first.id, type: 'constraints', relationships: { entitlement: { data: { id: pro.id } } } });
      await admin().get(`${path()}/00000000-0000-4000-8000-000000000000`).expect(404);
      await admin().get(`${path()}/not-a-constraint`).expect(404);

      const ents = await admin().get(`${acme.base}/releases/${releaseId}/entitlements`).expect(200);
      expect(ents.body.data.map((e: Resource) => [e.type, e.attributes.code]).sort()).toEqual([
        ['entitlements', 'C-BETA'],
        ['entitlements', 'C-PRO'],
      ]);
      // Through a version too.
      expect((await admin().get(`${acme.base}/releases/1.0.0/entitlements?product=constrained`).expect(200)).body.meta.count).toBe(2);

      // Now constrained, the release is hidden from anonymous callers, with its sub-resources.
      await anonymous().get(`${acme.base}/releases/${releaseId}`).expect(404);
      await anonymous().get(path()).expect(404);
      await anonymous().get(`${acme.base}/releases/${releaseId}/entitlements`).expect(404);
    });

    it('refuse an unknown entitlement (422 ENTITLEMENT_NOT_FOUND) and an attached one (422 ENTITLEMENT_TAKEN), attaching nothing', async () => {
      const fresh = await c.entitlement('C-FRESH');
      const before = (await admin().get(path()).expect(200)).body.meta.count;
      const unknown = await admin().post(path()).send(attachBody(fresh.id, 'NO-SUCH-ENTITLEMENT')).expect(422);
      expect(unknown.body.errors[0].code).toBe('ENTITLEMENT_NOT_FOUND');
      expect(unknown.body.errors[0].source.pointer).toMatch(/^\/data\/1(\/|$)/);
      const unknownUuid = await admin().post(path()).send(attachBody('5f0c7a36-8f4e-4c55-9a39-2b4f0f3b2a11')).expect(422);
      expect(unknownUuid.body.errors[0].code).toBe('ENTITLEMENT_NOT_FOUND');
      const taken = await admin().post(path()).send(attachBody(fresh.id, pro.id)).expect(422);
      expect(taken.body.errors[0].code).toBe('ENTITLEMENT_TAKEN');
      expect(taken.body.errors[0].source.pointer).toMatch(/^\/data\/1(\/|$)/);
      const twice = await admin().post(path()).send(attachBody(fresh.id, 'c-fresh')).expect(422);
      expect(twice.body.errors[0].code).toBe('ENTITLEMENT_TAKEN');
      expect((await admin().get(path()).expect(200)).body.meta.count).toBe(before);
    });

    it('concurrent attaches of one entitlement: exactly one 200, the rest refused (never 500)', async () => {
      const target = await release(productId, { version: '2.0.0' });
      const racer = await c.entitlement('C-RACE');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => admin().post(`${acme.base}/releases/${target.id}/constraints`).send(attachBody(racer.id))),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      // The losers saw the attachment (422) or lost the race on the unique index (409, SPEC §1.3).
      for (const res of results.filter((r) => r.status !== 200)) {
        expect([res.status, res.body.errors[0].code]).toEqual(res.status === 409 ? [409, 'CONFLICT'] : [422, 'ENTITLEMENT_TAKEN']);
      }
      const rows = await t.db.query(`SELECT count(*)::int AS n FROM release_constraints WHERE release_id = $1`, [target.id]);
      expect(rows[0].n).toBe(1);
    });

    it('refuse malformed attach and detach bodies with 400', async () => {
      await admin().post(path()).send({ data: [] }).expect(400);
      await admin().post(path()).send({ data: [{ type: 'entitlements', id: pro.id }] }).expect(400);
      await admin().post(path()).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('products', pro.id) } }] }).expect(400);
      await admin().delete(path()).send({ data: [{ type: 'constraints' }] }).expect(400);
      await admin().delete(path()).send({}).expect(400);
    });

    it('detach by constraint id (204); an unknown constraint id is 422 CONSTRAINT_NOT_FOUND and detaches nothing', async () => {
      const listed = await admin().get(path()).expect(200);
      const byEntitlement = new Map<string, string>(listed.body.data.map((r: Resource) => [(r.relationships.entitlement.data as { id: string }).id, r.id]));
      const proConstraint = byEntitlement.get(pro.id)!;
      const betaConstraint = byEntitlement.get(beta.id)!;

      const unknown = await admin()
        .delete(path())
        .send({ data: [{ type: 'constraints', id: proConstraint }, { type: 'constraints', id: '00000000-0000-4000-8000-000000000000' }] })
        .expect(422);
      expect(unknown.body.errors[0]).toMatchObject({ code: 'CONSTRAINT_NOT_FOUND', source: { pointer: '/data/1/id' } });
      const byEntitlementId = await admin().delete(path()).send({ data: [{ type: 'constraints', id: pro.id }] }).expect(422);
      expect(byEntitlementId.body.errors[0].code).toBe('CONSTRAINT_NOT_FOUND');
      expect((await admin().get(path()).expect(200)).body.meta.count).toBe(2);

      // A constraint of another release is not this release's.
      const otherRelease = await release(productId, { version: '1.0.1' });
      const other = await admin().post(`${acme.base}/releases/${otherRelease.id}/constraints`).send(attachBody(pro.id)).expect(200);
      const foreign = await admin().delete(path()).send({ data: [{ type: 'constraints', id: other.body.data[0].id }] }).expect(422);
      expect(foreign.body.errors[0].code).toBe('CONSTRAINT_NOT_FOUND');
      await admin().get(`${path()}/${other.body.data[0].id}`).expect(404);

      const res = await admin().delete(path()).send({ data: [{ type: 'constraints', id: proConstraint }] }).expect(204);
      expect(res.text).toBe('');
      const left = await admin().get(`${acme.base}/releases/${releaseId}/entitlements`).expect(200);
      expect(ids(left)).toEqual([beta.id]);
      await admin().delete(path()).send({ data: [{ type: 'constraints', id: betaConstraint }] }).expect(204);
      expect((await admin().get(path()).expect(200)).body.data).toEqual([]);
      // Without constraints it is visible to anonymous callers again; the other release's constraint stays.
      await anonymous().get(`${acme.base}/releases/${releaseId}`).expect(200);
      expect((await admin().get(`${acme.base}/releases/${otherRelease.id}/constraints`).expect(200)).body.meta.count).toBe(1);
    });

    it('constraints of an unknown release are 404', async () => {
      await admin().get(`${acme.base}/releases/66.0.0/constraints`).expect(404);
      await admin().get(`${acme.base}/releases/66.0.0/entitlements`).expect(404);
      await admin().post(`${acme.base}/releases/66.0.0/constraints`).send(attachBody(pro.id)).expect(404);
    });
  });

  describe('version order computed by the database', () => {
    const ORDERED = [
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.2',
      '1.0.0-alpha.10',
      '1.0.0-alpha.1a',
      '1.0.0-alpha.Beta',
      '1.0.0-alpha.beta',
      '1.0.0-alpha.beta.1',
      '1.0.0-alpha.beta-1',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0-rc.1+build.1',
      '1.0.0',
      '1.0.0+1',
      '1.0.0+1.1',
      '1.0.0+2',
      '1.0.0+10',
      '1.0.0+a',
      '1.0.1',
      '1.2.0',
      '1.9.0',
      '1.10.0',
      '2.0.0-dev.1',
      '2.0.0',
      '10.0.0',
    ];

    it('sort_key gives semver order, with build metadata compared like pre-release identifiers', async () => {
      const product = await c.product({ name: 'Ordered', code: 'ordered' });
      // A deterministic shuffle, so that neither insertion order nor created order helps.
      const shuffled = [...ORDERED].map((v, i) => ({ v, k: (i * 7919) % ORDERED.length })).sort((a, b) => a.k - b.k).map(({ v }) => v);
      expect(shuffled).not.toEqual(ORDERED);
      for (const version of shuffled) await release(product.id, { version });
      const rows: { version: string }[] = await t.db.query(`SELECT version FROM releases WHERE product_id = $1 ORDER BY sort_key`, [product.id]);
      expect(rows.map((r) => r.version)).toEqual(ORDERED);
      const descending: { version: string }[] = await t.db.query(`SELECT version FROM releases WHERE product_id = $1 ORDER BY sort_key DESC`, [product.id]);
      expect(descending.map((r) => r.version)).toEqual([...ORDERED].reverse());
      // From a stored column that an index covers (SPEC §3.4).
      const indexes: { indexdef: string }[] = await t.db.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'releases' AND indexdef LIKE '%sort_key%'`);
      expect(indexes.length).toBeGreaterThan(0);
    });

    it('numeric parts compare as numbers, also beyond 32 bits', async () => {
      const product = await c.product({ name: 'Big numbers', code: 'big-numbers' });
      const ordered = ['2.0.0', '9.0.0', '10.0.0', '4294967296.0.0', '9007199254740991.0.0'];
      for (const version of [...ordered].reverse()) await release(product.id, { version });
      const rows: { version: string }[] = await t.db.query(`SELECT version FROM releases WHERE product_id = $1 ORDER BY sort_key`, [product.id]);
      expect(rows.map((r) => r.version)).toEqual(ordered);
      const big = await admin().get(`${acme.base}/releases/9007199254740991.0.0`).expect(200);
      expect(big.body.data.attributes.semver).toMatchObject({ major: 9007199254740991, minor: 0, patch: 0 });
    });
  });

  describe('writes by bearer kind (SPEC §4)', () => {
    let ownProduct: { id: string };
    let openProduct: { id: string };
    let licensedProduct: { id: string };
    let ownToken: string;
    let ownRelease: Resource;
    let openPublished: Resource;
    let openDraft: Resource;
    let licensedRelease: Resource;
    let gate: { id: string };

    beforeAll(async () => {
      ownProduct = await c.product({ name: 'Own', code: 'own', distributionStrategy: 'LICENSED' });
      openProduct = await c.product({ name: 'Open other', code: 'open-other', distributionStrategy: 'OPEN' });
      licensedProduct = await c.product({ name: 'Licensed other', code: 'licensed-other', distributionStrategy: 'LICENSED' });
      ownToken = bearer(await c.token(`products/${ownProduct.id}`));
      ownRelease = await release(ownProduct.id, { version: '1.0.0' });
      openPublished = await release(openProduct.id, { version: '1.0.0', status: 'PUBLISHED' });
      openDraft = await release(openProduct.id, { version: '1.0.1' });
      licensedRelease = await release(licensedProduct.id, { version: '1.0.0', status: 'PUBLISHED' });
      gate = await c.entitlement('W-GATE');
    });

    it('a product token writes its own product’s releases, whatever the strategy', async () => {
      const pkg = await c.package(ownProduct.id, { key: 'own-pkg' });
      const created = await release(ownProduct.id, { version: '2.0.0-beta.1' }, pkg.id, ownToken);
      expect(created.attributes.status).toBe('DRAFT');
      await t.as(ownToken).get(`${acme.base}/releases/${created.id}`).expect(200);
      await t.as(ownToken).patch(`${acme.base}/releases/${created.id}`).send(doc('releases', { name: 'Mine' })).expect(200);
      await t.as(ownToken).post(`${acme.base}/releases/${created.id}/actions/publish`).expect(200);
      await t.as(ownToken).post(`${acme.base}/releases/${created.id}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', gate.id) } }] }).expect(200);
      await t.as(ownToken).post(`${acme.base}/releases/${created.id}/actions/yank`).expect(200);
      await t.as(ownToken).delete(`${acme.base}/releases/${created.id}`).expect(204);
      // Its product's drafts are visible to it; the event names the product as bearer.
      expect((await t.as(ownToken).get(`${acme.base}/releases/${ownRelease.id}`).expect(200)).body.data.attributes.status).toBe('DRAFT');
      const events = await admin().get(`${acme.base}/event-logs?resource=${created.id}&event=release.created`).expect(200);
      expect(events.body.data[0].relationships.bearer.data).toEqual({ type: 'products', id: ownProduct.id });
    });

    it('a product token gets 403 on a visible release of another (OPEN) product, and 404 on invisible ones', async () => {
      const as = t.as(ownToken);
      await as.get(`${acme.base}/releases/${openPublished.id}`).expect(200);
      const create = await as.post(`${acme.base}/releases`).send(body(openProduct.id, { version: '3.0.0' })).expect(403);
      expect(create.body.errors[0].code).toEqual(expect.any(String));
      await as.patch(`${acme.base}/releases/${openPublished.id}`).send(doc('releases', { name: 'Hijacked' })).expect(403);
      await as.post(`${acme.base}/releases/${openPublished.id}/actions/yank`).expect(403);
      await as.post(`${acme.base}/releases/${openPublished.id}/actions/publish`).expect(403);
      await as.post(`${acme.base}/releases/${openPublished.id}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', gate.id) } }] }).expect(403);
      await as.delete(`${acme.base}/releases/${openPublished.id}`).expect(403);
      // A draft of the OPEN product and anything of the other LICENSED product are invisible.
      await as.get(`${acme.base}/releases/${openDraft.id}`).expect(404);
      await as.post(`${acme.base}/releases/${openDraft.id}/actions/publish`).expect(404);
      await as.get(`${acme.base}/releases/${licensedRelease.id}`).expect(404);
      await as.patch(`${acme.base}/releases/${licensedRelease.id}`).send(doc('releases', { name: 'x' })).expect(404);
      await as.delete(`${acme.base}/releases/${licensedRelease.id}`).expect(404);
      const invisible = await as.post(`${acme.base}/releases`).send(body(licensedProduct.id, { version: '3.0.0' })).expect(422);
      expect(invisible.body.errors[0]).toMatchObject({ code: 'PRODUCT_NOT_FOUND', source: { pointer: '/data/relationships/product' } });
      // Nothing changed.
      expect(await countOf(openProduct.id)).toBe(2);
      expect(await countOf(licensedProduct.id)).toBe(1);
      const shown = await admin().get(`${acme.base}/releases/${openPublished.id}`).expect(200);
      expect(shown.body.data.attributes).toMatchObject({ name: null, status: 'PUBLISHED' });
      expect((await admin().get(`${acme.base}/releases/${openPublished.id}/constraints`).expect(200)).body.data).toEqual([]);
      // Its list holds its own product's releases and the open ones, nothing else.
      const listed = await as.get(`${acme.base}/releases?page[size]=100`).expect(200);
      const listedIds = ids(listed);
      expect(listedIds).toContain(ownRelease.id);
      expect(listedIds).toContain(openPublished.id);
      expect(listedIds).not.toContain(openDraft.id);
      expect(listedIds).not.toContain(licensedRelease.id);
    });

    it('a read-only user reads everything but gets 403 on every write', async () => {
      const ro = t.as(bearer(tokens.readOnly));
      await ro.get(`${acme.base}/releases/${openDraft.id}`).expect(200);
      await ro.get(`${acme.base}/releases/${licensedRelease.id}/constraints`).expect(200);
      const create = await ro.post(`${acme.base}/releases`).send(body(openProduct.id, { version: '4.0.0' })).expect(403);
      expect(create.body.errors[0].title).toBe('Access denied');
      await ro.patch(`${acme.base}/releases/${openDraft.id}`).send(doc('releases', { name: 'x' })).expect(403);
      await ro.post(`${acme.base}/releases/${openDraft.id}/actions/publish`).expect(403);
      await ro.post(`${acme.base}/releases/${openDraft.id}/actions/yank`).expect(403);
      await ro.post(`${acme.base}/releases/${openDraft.id}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', gate.id) } }] }).expect(403);
      await ro.delete(`${acme.base}/releases/${openDraft.id}`).expect(403);
      const shown = await admin().get(`${acme.base}/releases/${openDraft.id}`).expect(200);
      expect(shown.body.data.attributes).toMatchObject({ status: 'DRAFT', name: null });
      expect(await countOf(openProduct.id)).toBe(2);
    });

    it('anonymous writes are 401 TOKEN_MISSING with a Bearer challenge; bad credentials fail even on reads', async () => {
      const writes = [
        anonymous().post(`${acme.base}/releases`).send(body(openProduct.id, { version: '5.0.0' })),
        anonymous().patch(`${acme.base}/releases/${openPublished.id}`).send(doc('releases', { name: 'x' })),
        anonymous().delete(`${acme.base}/releases/${openPublished.id}`),
        anonymous().post(`${acme.base}/releases/${openPublished.id}/actions/yank`),
        anonymous().post(`${acme.base}/releases/${openPublished.id}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', gate.id) } }] }),
      ];
      for (const res of await Promise.all(writes)) {
        expect(res.status).toBe(401);
        expect(res.body.errors[0].code).toBe('TOKEN_MISSING');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="keyshelf"/);
      }
      const bad = await t.as(bearer('admin_not-a-real-token')).get(`${acme.base}/releases/${openPublished.id}`).expect(401);
      expect(bad.body.errors[0].code).toBe('TOKEN_INVALID');
      expect((await admin().get(`${acme.base}/releases/${openPublished.id}`).expect(200)).body.data.attributes.status).toBe('PUBLISHED');
    });
  });

  describe('visibility basics for anonymous callers (SPEC §4)', () => {
    const cases: Record<string, string> = {};
    beforeAll(async () => {
      const open = await c.product({ name: 'Vis open', code: 'vis-open', distributionStrategy: 'OPEN' });
      const licensed = await c.product({ name: 'Vis licensed', code: 'vis-licensed', distributionStrategy: 'LICENSED' });
      const closed = await c.product({ name: 'Vis closed', code: 'vis-closed', distributionStrategy: 'CLOSED' });
      const ent = await c.entitlement('VIS-GATE');
      cases.published = (await release(open.id, { version: '1.0.0', status: 'PUBLISHED', tag: 'vis-published' })).id;
      cases.draft = (await release(open.id, { version: '1.0.1', tag: 'vis-draft' })).id;
      cases.yanked = (await release(open.id, { version: '1.0.2', status: 'PUBLISHED', tag: 'vis-yanked' })).id;
      await admin().post(`${acme.base}/releases/${cases.yanked}/actions/yank`).expect(200);
      cases.constrained = (await release(open.id, { version: '1.0.3', status: 'PUBLISHED', tag: 'vis-constrained' })).id;
      await admin()
        .post(`${acme.base}/releases/${cases.constrained}/constraints`)
        .send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', ent.id) } }] })
        .expect(200);
      cases.licensed = (await release(licensed.id, { version: '1.0.0', status: 'PUBLISHED', tag: 'vis-licensed' })).id;
      cases.closed = (await release(closed.id, { version: '1.0.0', status: 'PUBLISHED', tag: 'vis-closed' })).id;
    });

    it('see a PUBLISHED release of an OPEN product without constraints, by id, version, tag and in lists', async () => {
      const byId = await anonymous().get(`${acme.base}/releases/${cases.published}`).expect(200);
      expect(byId.body.data.attributes.version).toBe('1.0.0');
      expect((await anonymous().get(`${acme.base}/releases/1.0.0?product=vis-open`).expect(200)).body.data.id).toBe(cases.published);
      expect((await anonymous().get(`${acme.base}/releases/vis-published`).expect(200)).body.data.id).toBe(cases.published);
      await anonymous().get(`${acme.base}/releases/${cases.published}/constraints`).expect(200);
      await anonymous().get(`${acme.base}/releases/${cases.published}/entitlements`).expect(200);
      const listed = await anonymous().get(`${acme.base}/releases?product=vis-open&page[size]=100`).expect(200);
      expect(ids(listed)).toEqual([cases.published]);
      // Filters naming a product they cannot see give an empty list (SPEC §1.4).
      for (const product of ['vis-licensed', 'vis-closed']) {
        expect((await anonymous().get(`${acme.base}/releases?product=${product}`).expect(200)).body).toMatchObject({ data: [], meta: { count: 0 } });
      }
    });

    it.each(['draft', 'yanked', 'constrained', 'licensed', 'closed'])('get 404 for a %s release, by id and by tag, and never list it', async (name) => {
      const res = await anonymous().get(`${acme.base}/releases/${cases[name]}`).expect(404);
      expect(res.body.errors[0].code).toBe('NOT_FOUND');
      await anonymous().get(`${acme.base}/releases/vis-${name}`).expect(404);
      await anonymous().get(`${acme.base}/releases/${cases[name]}/constraints`).expect(404);
      const listed = await anonymous().get(`${acme.base}/releases?page[size]=100`).expect(200);
      expect(ids(listed)).not.toContain(cases[name]);
      // Staff see it all.
      await admin().get(`${acme.base}/releases/${cases[name]}`).expect(200);
    });

    it('an anonymous list never holds anything but published, open, unconstrained releases', async () => {
      const listed = await anonymous().get(`${acme.base}/releases?page[size]=100`).expect(200);
      expect(listed.body.data.length).toBeGreaterThan(0);
      expect(listed.body.data.every((r: Resource) => r.attributes.status === 'PUBLISHED')).toBe(true);
      const productIds = new Set(listed.body.data.map((r: Resource) => (r.relationships.product.data as { id: string }).id));
      const rows: { id: string; distribution_strategy: string }[] = await t.db.query(`SELECT id, distribution_strategy FROM products WHERE id = ANY($1)`, [[...productIds]]);
      expect(rows.every((p) => p.distribution_strategy === 'OPEN')).toBe(true);
      const constrained: { n: number }[] = await t.db.query(`SELECT count(*)::int AS n FROM release_constraints WHERE release_id = ANY($1)`, [ids(listed)]);
      expect(constrained[0].n).toBe(0);
    });
  });

  describe('tenancy', () => {
    it("another account's admin cannot reach these releases, and its token fails on this account's URLs", async () => {
      const product = await c.product({ name: 'Tenant', code: 'tenant', distributionStrategy: 'OPEN' });
      const mine = await release(product.id, { version: '1.0.0', status: 'PUBLISHED', tag: 'tenant-tag' });
      const draft = await release(product.id, { version: '1.0.1' });
      const ent = await c.entitlement('TENANT');
      await admin().post(`${acme.base}/releases/${draft.id}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', ent.id) } }] }).expect(200);
      const constraintId = (await admin().get(`${acme.base}/releases/${draft.id}/constraints`).expect(200)).body.data[0].id;

      const other = await createAccount(t, { slug: 'intruder' });
      const as = t.as(bearer(other.adminToken));
      for (const ref of [mine.id, draft.id, 'tenant-tag', '1.0.0', '1.0.1']) {
        const res = await as.get(`${other.base}/releases/${ref}`).expect(404);
        expect(res.body.errors[0].code).toBe('NOT_FOUND');
      }
      await as.get(`${other.base}/releases/${draft.id}/constraints`).expect(404);
      await as.get(`${other.base}/releases/${draft.id}/constraints/${constraintId}`).expect(404);
      await as.get(`${other.base}/releases/${draft.id}/entitlements`).expect(404);
      await as.patch(`${other.base}/releases/${mine.id}`).send(doc('releases', { name: 'x' })).expect(404);
      await as.post(`${other.base}/releases/${draft.id}/actions/publish`).expect(404);
      await as.post(`${other.base}/releases/${mine.id}/actions/yank`).expect(404);
      await as.delete(`${other.base}/releases/${mine.id}`).expect(404);
      await as.delete(`${other.base}/releases/${draft.id}/constraints`).send({ data: [{ type: 'constraints', id: constraintId }] }).expect(404);
      const into = await as.post(`${other.base}/releases`).send(body(product.id, { version: '9.9.9' })).expect(422);
      expect(into.body.errors[0].code).toBe('PRODUCT_NOT_FOUND');
      const listed = await as.get(`${other.base}/releases?page[size]=100`).expect(200);
      expect(listed.body.data).toEqual([]);
      expect((await as.get(`${other.base}/releases?product=${product.id}`).expect(200)).body.data).toEqual([]);
      // Their own OPEN catalog does not include ours, even anonymously.
      expect((await anonymous().get(`${other.base}/releases`).expect(200)).body.data).toEqual([]);
      await anonymous().get(`${other.base}/releases/${mine.id}`).expect(404);

      // Their token on our URLs is not a credential here, even where anonymous reads would pass.
      for (const res of await Promise.all([
        as.get(`${acme.base}/releases/${mine.id}`),
        as.get(`${acme.base}/releases`),
        as.patch(`${acme.base}/releases/${mine.id}`).send(doc('releases', { name: 'x' })),
        as.post(`${acme.base}/releases`).send(body(product.id, { version: '9.9.9' })),
        as.delete(`${acme.base}/releases/${mine.id}`),
      ])) {
        expect(res.status).toBe(401);
        expect(res.body.errors[0].code).toBe('TOKEN_INVALID');
      }
      // And nothing changed.
      const shown = await admin().get(`${acme.base}/releases/${mine.id}`).expect(200);
      expect(shown.body.data.attributes).toMatchObject({ name: null, status: 'PUBLISHED' });
      expect(await countOf(product.id)).toBe(2);
      expect((await admin().get(`${acme.base}/releases/${draft.id}/constraints`).expect(200)).body.meta.count).toBe(1);
    });
  });
});
