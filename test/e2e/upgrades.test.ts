import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { releaseFixtures } from '../support/releases.js';

/**
 * Upgrades (SPEC §5) end to end, from Keygen's behaviour: channel sets, constraint forms,
 * drafts and yanked releases, packages, entitlements, expiry windows, and the event.
 */
describe('upgrades (SPEC §5)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  let f: ReturnType<typeof releaseFixtures>;
  const ids: Record<string, string> = {};
  const admin = () => t.as(bearer(acme.adminToken));
  const anonymous = () => t.as(null);

  /** The next version from a release path (`/releases/{ref}/upgrade?query`), or the status when none. */
  const next = async (ref: string, query = '', authorization: string | null = null): Promise<string | number> => {
    const res = await t.as(authorization).get(`${acme.base}/releases/${ref}/upgrade${query ? `?${query}` : ''}`);
    if (res.status !== 200) return res.status;
    expect(res.body.meta.next).toBe(res.body.data.attributes.version);
    return res.body.data.attributes.version;
  };

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
    f = releaseFixtures(t, acme);
    const app = (await c.product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' })).id;
    for (const version of [
      '1.0.0', '1.0.1', '1.2.0', '1.5.0', '1.7.0+p1', '1.8.0', '2.0.0', '2.0.1', '1.9.0-beta.1', '2.1.0-beta.1', '2.1.0-rc.1',
      '2.2.0-alpha.1', '0.0.1-dev.1', '3.0.0-dev.1',
    ]) {
      ids[version] = await f.release(app, version, version === '1.5.0' ? { tag: 'current-stable' } : {});
    }
    await f.release(app, '9.0.0', { status: 'DRAFT' });
    await f.yank(await f.release(app, '2.5.0'));
    await f.yank(await f.release(app, '2.6.0-rc.1'));
  }, 120_000);
  afterAll(() => t.close());

  describe('channels', () => {
    it('answers the greatest newer release of the current channel, with meta.current and meta.next', async () => {
      const res = await anonymous().get(`${acme.base}/releases/1.5.0/upgrade?product=app`).expect(200);
      expect(res.body.data).toMatchObject({ type: 'releases', id: ids['2.0.1'], attributes: { version: '2.0.1', status: 'PUBLISHED' } });
      expect(res.body.meta).toEqual({ current: '1.5.0', next: '2.0.1' });
    });

    it.each([
      ['stable', '2.0.1'],
      ['rc', '2.1.0-rc.1'],
      ['beta', '2.1.0-rc.1'],
      ['alpha', '2.2.0-alpha.1'],
      ['dev', '3.0.0-dev.1'],
    ])('channel=%s → %s', async (channel, expected) => {
      expect(await next('1.5.0', `channel=${channel}`)).toBe(expected);
    });

    it('a pre-release defaults to its own channel set; a dev release only ever upgrades to dev', async () => {
      expect(await next('1.9.0-beta.1')).toBe('2.1.0-rc.1');
      expect(await next('2.1.0-beta.1')).toBe('2.1.0-rc.1');
      expect(await next('0.0.1-dev.1')).toBe('3.0.0-dev.1');
      expect(await next('3.0.0-dev.1')).toBe(404);
    });

    it('an unknown channel is 400 with source.parameter', async () => {
      const res = await anonymous().get(`${acme.base}/releases/1.5.0/upgrade?channel=nightly`).expect(400);
      expect(res.body.errors[0].source).toEqual({ parameter: 'channel' });
    });
  });

  describe('constraints', () => {
    it.each([
      ['1.0', '1.5.0', '1.8.0'],
      ['1', '1.5.0', '1.8.0'],
      ['1.2', '1.0.0', '1.8.0'],
      ['1.5.0', '1.0.0', '1.5.0'],
      ['1.0.1', '1.0.0', '1.0.1'],
      ['1.5.0', '1.5.0', 404],
      ['2', '1.5.0', '2.0.1'],
      ['3', '1.5.0', 404],
      ['1%2Bp1', '1.5.0', '1.7.0+p1'],
      ['%5E1.2', '1.0.0', '1.8.0'],
      ['~1.2.0', '1.0.0', '1.2.0'],
      ['%3E%3D1.0.0%20%3C2', '1.0.0', '1.8.0'],
      ['%3E%3D2.0.0%20%3C2.0.1%20%7C%7C%20~1.5', '1.0.0', '2.0.0'],
      ['%3E2%20%3C1', '1.0.0', 404],
    ])('constraint=%s from %s → %s', async (constraint, from, expected) => {
      expect(await next(from, `constraint=${constraint}`)).toBe(expected);
    });

    it('pre-releases match a constraint whenever the channel set allows them', async () => {
      expect(await next('1.5.0', 'constraint=1&channel=beta')).toBe('1.9.0-beta.1');
      expect(await next('1.5.0', 'constraint=1-beta&channel=beta')).toBe('1.9.0-beta.1');
      expect(await next('1.5.0', 'constraint=1-beta')).toBe(404);
      expect(await next('1.5.0', 'constraint=%5E2.0.0&channel=rc')).toBe('2.1.0-rc.1');
    });

    it.each(['latest', '1.2.3.4', '%3E%3Dabc', ''])('an unparseable constraint (%j) is 400 CONSTRAINT_INVALID', async (constraint) => {
      const res = await anonymous().get(`${acme.base}/releases/1.5.0/upgrade?constraint=${constraint}`).expect(400);
      expect(res.body.errors[0]).toMatchObject({ code: 'CONSTRAINT_INVALID', source: { parameter: 'constraint' } });
    });
  });

  describe('what is never an upgrade', () => {
    it('drafts and yanked releases are never returned, not even to staff', async () => {
      expect(await next('2.0.1', '', bearer(acme.adminToken))).toBe(404);
      expect(await next('2.1.0-rc.1', '', bearer(acme.adminToken))).toBe(404);
      expect(await next('2.0.1', 'channel=alpha', bearer(acme.adminToken))).toBe('2.2.0-alpha.1');
    });

    it('an unknown or invisible release is 404, and so is the newest one', async () => {
      expect(await next('4.0.0')).toBe(404);
      expect(await next('9.0.0')).toBe(404);
      expect(await next('2.0.1')).toBe(404);
    });

    it('an unknown parameter is 400', async () => {
      await anonymous().get(`${acme.base}/releases/1.5.0/upgrade?colour=red`).expect(400);
    });
  });

  describe('finding the current release', () => {
    it('by id, tag, and a version with build metadata sent as %2B', async () => {
      expect(await next(ids['1.5.0'])).toBe('2.0.1');
      expect(await next('current-stable')).toBe('2.0.1');
      expect(await next('1.7.0%2Bp1')).toBe('2.0.1');
      expect(await next('1.7.0%2Bp1', 'constraint=1')).toBe('1.8.0');
    });

    it('GET /releases/actions/upgrade?product=&version= is not taken for a release id', async () => {
      const res = await anonymous().get(`${acme.base}/releases/actions/upgrade?product=app&version=1.5.0&channel=rc`).expect(200);
      expect(res.body.meta).toEqual({ current: '1.5.0', next: '2.1.0-rc.1' });
      await anonymous().get(`${acme.base}/releases/actions/upgrade?product=app&version=2.0.1`).expect(404);
      await anonymous().get(`${acme.base}/releases/actions/upgrade?product=app&version=1.5.0&constraint=nope`).expect(400);
      for (const query of ['product=app', 'version=1.5.0', 'product=app&version=']) {
        const res = await anonymous().get(`${acme.base}/releases/actions/upgrade?${query}`).expect(400);
        expect(res.body.errors[0].code).toBe('PARAMETER_MISSING');
      }
    });

    it('packaged and unpackaged releases upgrade within their own package (package= empty means none)', async () => {
      const product = (await c.product({ name: 'Kit', code: 'kit', distributionStrategy: 'OPEN' })).id;
      const cli = (await c.package(product, { key: 'kit-cli' })).id;
      for (const version of ['1.0.0', '3.0.0']) await f.release(product, version, {}, cli);
      for (const version of ['1.0.0', '2.0.0']) await f.release(product, version);
      const from = async (query: string) => (await anonymous().get(`${acme.base}/releases/actions/upgrade?product=kit&version=1.0.0&${query}`)).body.meta?.next;
      expect(await from('package=kit-cli')).toBe('3.0.0');
      expect(await from('package=')).toBe('2.0.0');
      expect(await next('1.0.0', 'product=kit&package=kit-cli')).toBe('3.0.0');
      expect(await next('1.0.0', 'product=kit&package=')).toBe('2.0.0');
    });
  });

  describe('licenses', () => {
    let pro: string;
    let gold: string;
    beforeAll(async () => {
      pro = (await c.product({ name: 'Pro', code: 'pro' })).id;
      gold = (await c.entitlement('GOLD')).id;
      const day = 86_400_000;
      await f.release(pro, '1.0.0', { backdated: new Date(Date.now() - 30 * day).toISOString() });
      await f.release(pro, '1.1.0', { backdated: new Date(Date.now() - 5 * day).toISOString() });
      // Created after the licenses below expired, but backdated to before: inside their window.
      await f.release(pro, '1.2.1', { backdated: new Date(Date.now() - 3 * day).toISOString() });
      await f.release(pro, '1.3.0');
      const goldOnly = await f.release(pro, '1.4.0');
      await admin()
        .post(`${acme.base}/releases/${goldOnly}/constraints`)
        .send({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: gold } } } }] })
        .expect(200);
    });

    const licenseKey = async (attributes: Record<string, unknown> = {}, entitlements: string[] = []) => {
      const policy = await c.policy(pro, attributes);
      const license = await c.license(policy.id, { expiry: new Date(Date.now() - 86_400_000).toISOString() });
      const fresh = await c.license(policy.id);
      if (entitlements.length) await c.attach(`licenses/${fresh.id}`, entitlements);
      return { expired: `License ${license.attributes.key}`, active: `License ${fresh.attributes.key}`, expiredId: license.id };
    };

    it('a license lacking the entitlement of the newest release gets the next one it may see', async () => {
      const plain = await licenseKey();
      const entitled = await licenseKey({}, [gold]);
      expect(await next('1.0.0', 'product=pro', plain.active)).toBe('1.3.0');
      expect(await next('1.0.0', 'product=pro', entitled.active)).toBe('1.4.0');
      expect(await next('1.0.0', 'product=pro')).toBe(404);
    });

    it.each(['RESTRICT_ACCESS', 'MAINTAIN_ACCESS'])('an expired license under %s upgrades within its window, backdated releases included', async (strategy) => {
      const { expired } = await licenseKey({ expirationStrategy: strategy });
      expect(await next('1.0.0', 'product=pro', expired)).toBe('1.2.1');
      expect(await next('1.2.1', 'product=pro', expired)).toBe(404);
    });

    it('ALLOW_ACCESS has no window', async () => {
      const { expired } = await licenseKey({ expirationStrategy: 'ALLOW_ACCESS' });
      expect(await next('1.0.0', 'product=pro', expired)).toBe('1.3.0');
    });

    it('REVOKE_ACCESS: 403 LICENSE_EXPIRED by key and by license token', async () => {
      const { expired, expiredId } = await licenseKey({ expirationStrategy: 'REVOKE_ACCESS' });
      const token = bearer(await c.token(`licenses/${expiredId}`));
      for (const authorization of [expired, token]) {
        const res = await t.as(authorization).get(`${acme.base}/releases/1.0.0/upgrade?product=pro`).expect(403);
        expect(res.body.errors[0].code).toBe('LICENSE_EXPIRED');
      }
    });
  });

  it('records release.upgraded for the next release, by the bearer who asked, with both versions (SPEC §8.3)', async () => {
    const product = (await c.product({ name: 'Ev', code: 'ev', distributionStrategy: 'OPEN' })).id;
    await f.release(product, '1.0.0');
    const target = await f.release(product, '1.1.0');
    const policy = await c.policy(product);
    const license = await c.license(policy.id);
    await t.as(`License ${license.attributes.key}`).get(`${acme.base}/releases/1.0.0/upgrade?product=ev`).expect(200);
    await anonymous().head(`${acme.base}/releases/1.0.0/upgrade?product=ev`).expect(200);
    await anonymous().get(`${acme.base}/releases/1.1.0/upgrade?product=ev`).expect(404);
    const events = await admin().get(`${acme.base}/event-logs?event=release.upgraded&resource=${target}`).expect(200);
    expect(events.body.data).toHaveLength(1);
    expect(events.body.data[0].attributes).toMatchObject({ event: 'release.upgraded', metadata: { current: '1.0.0', next: '1.1.0' } });
    expect(JSON.stringify(events.body.data[0])).toContain(license.id);
  });
});
