import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { genericUrl } from '../support/generic.js';
import { releaseFixtures } from '../support/releases.js';
import { applicationRoutes } from '../support/routes.js';

type Resource = { links?: { self?: string }; relationships?: Record<string, { links?: { related?: string } }> };

/**
 * Every `links.self` and `links.related` the API emits leads somewhere: walked from every list
 * route of the application (read from its router, so a new resource is walked too), following
 * each link once and the links of what it answers in turn.
 */
describe('links', () => {
  let t: TestApp;
  let acme: TestAccount;
  const admin = () => t.as(bearer(acme.adminToken));
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    const pkg = await c.package(product.id, { key: 'pkg' });
    const entitlement = await c.entitlement('GOLD');
    const policy = await c.policy(product.id);
    await c.attach(`policies/${policy.id}`, [entitlement.id]);
    const customer = await userWithToken(t, acme, 'customer@acme.test', 'user');
    ids.customer = customer.id;
    ids.withUser = (await c.license(policy.id, {}, customer.id)).id;
    ids.withoutUser = (await c.license(policy.id)).id;
    ids.licenseKey = (await c.license(policy.id)).attributes.key as string;
    await c.token(`products/${product.id}`);
    const r = releaseFixtures(t, acme);
    ids.inPackage = await r.release(product.id, '1.0.0', {}, pkg.id);
    ids.noPackage = await r.release(product.id, '2.0.0');
    await admin()
      .post(`${acme.base}/releases/${ids.noPackage}/constraints`)
      .send({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: entitlement.id } } } }] })
      .expect(200);
    await r.artifact(ids.inPackage, { filename: 'app.tar.gz' }, Buffer.from('bytes'));
    await admin().put(`${genericUrl(acme, 'tool', '1.0.0', 'tool.bin')}?product=app`).set('Content-Type', 'application/octet-stream').send('tool').expect(201);
  });
  afterAll(() => t.close());

  it('every link in every document reached from the list routes answers 200', async () => {
    const lists = applicationRoutes(t.app)
      .filter((route) => route.method === 'GET' && /^\/v1\/accounts\/:account\/[a-z-]+$/.test(route.path))
      .map((route) => route.path.replace(':account', acme.id));
    expect(lists.length).toBeGreaterThanOrEqual(10);
    const queue = [...lists];
    const seen = new Set(queue);
    const failures: string[] = [];
    let followed = 0;
    while (queue.length > 0 && followed < 600) {
      const path = queue.shift()!;
      followed += 1;
      const res = await admin().get(path).set('Prefer', 'no-download');
      if (res.status !== 200) {
        failures.push(`${path} → ${res.status}`);
        continue;
      }
      const data = res.body.data as Resource | Resource[] | null | undefined;
      const resources = Array.isArray(data) ? data : data ? [data] : [];
      const links = resources.flatMap((resource) => [resource.links?.self, ...Object.values(resource.relationships ?? {}).map((rel) => rel.links?.related)]);
      for (const link of [...links, res.body.links?.self]) {
        if (link && !seen.has(link)) {
          seen.add(link);
          queue.push(link);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(followed).toBeGreaterThan(40);
    expect(queue).toEqual([]);
  });

  it('a license with no user: /licenses/{id}/user answers 200 with data: null; with a user, that user', async () => {
    const none = await admin().get(`${acme.base}/licenses/${ids.withoutUser}`).expect(200);
    expect(none.body.data.relationships.user).toEqual({ data: null, links: { related: `${acme.base}/licenses/${ids.withoutUser}/user` } });
    const empty = await admin().get(none.body.data.relationships.user.links.related).expect(200);
    expect(empty.body).toMatchObject({ data: null });
    const some = await admin().get(`${acme.base}/licenses/${ids.withUser}/user`).expect(200);
    expect(some.body.data).toMatchObject({ type: 'users', id: ids.customer });
  });

  it('a release with no package: /releases/{id}/package answers 200 with data: null; with one, that package', async () => {
    const none = await admin().get(`${acme.base}/releases/${ids.noPackage}`).expect(200);
    const empty = await admin().get(none.body.data.relationships.package.links.related).expect(200);
    expect(empty.body).toMatchObject({ data: null });
    const some = await admin().get(`${acme.base}/releases/${ids.inPackage}/package`).expect(200);
    expect(some.body.data).toMatchObject({ type: 'packages', attributes: { key: 'pkg' } });
  });

  it('the related routes keep the access rules of the resource: hidden → 404, another account → 404', async () => {
    const other = await createAccount(t, { slug: 'other' });
    await t.as(bearer(other.adminToken)).get(`${other.base}/licenses/${ids.withoutUser}/user`).expect(404);
    await t.as(bearer(other.adminToken)).get(`${other.base}/releases/${ids.noPackage}/package`).expect(404);
    // A license bearer sees its own license only; the constrained release is hidden from it.
    const license = basic('license', ids.licenseKey);
    await t.as(license).get(`${acme.base}/licenses/${ids.withUser}/user`).expect(404);
    await t.as(null).get(`${acme.base}/releases/${ids.noPackage}/package`).expect(404);
    await t.as(null).get(`${acme.base}/licenses/${ids.withoutUser}/user`).expect(401);
    expect((await admin().get(`${acme.base}/licenses/nope/user`)).status).toBe(404);
  });
});
