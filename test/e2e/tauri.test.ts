import { randomBytes } from 'node:crypto';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { releaseFixtures } from '../support/releases.js';

/**
 * The Tauri engine (SPEC §6.2): only the answers a Tauri updater accepts (204 with no body, or a
 * 200 with exactly version/url/signature/pub_date/notes), the format table, signatures, the
 * platform gap, opaque platform strings, and access.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const MINISIGN = 'untrusted comment: signature from tauri secret key\nRUSsig\ntrusted comment: timestamp:1\tfile:x\nglobal==';
const CLI_LINE = Buffer.from(`${MINISIGN}\n`).toString('base64');

describe('the Tauri engine (SPEC §6.2)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let f: ReturnType<typeof releaseFixtures>;
  const art: Record<string, string> = {};
  let paidKey: string;
  const check = (query: string, authorization: string | null = null, pkg = 'desk-app') =>
    t.as(authorization).get(`${acme.base}/engines/tauri/${pkg}?${query}`).set('Accept', 'application/json').set('Accept-Encoding', 'gzip, br');
  const offered = async (query: string, authorization: string | null = null, pkg = 'desk-app') => {
    const res = await check(query, authorization, pkg);
    if (res.status === 204) return 204;
    expect(res.status).toBe(200);
    return `${res.body.version} ${res.body.url.split('/').pop()}`;
  };

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    f = releaseFixtures(t, acme);
    const desk = (await c.product({ name: 'Desk', code: 'desk', distributionStrategy: 'OPEN' })).id;
    const pkg = (await c.package(desk, { key: 'desk-app', engine: 'tauri' })).id;
    await c.package(desk, { key: 'desk-files', engine: 'generic' });
    const bytes = () => randomBytes(64);
    const file = async (release: string, filename: string, platform: string, arch: string, signature: string | null = 'c2lnbmF0dXJl') =>
      (art[`${release}:${filename}`] = await f.artifact(release, { filename, platform, arch, ...(signature ? { signature } : {}) }, bytes()));
    const sigFile = async (release: string, filename: string, content: string) => f.artifact(release, { filename }, Buffer.from(content));

    await f.release(desk, '1.0.0', {}, pkg);
    await f.release(desk, '1.0.5+b1', {}, pkg);
    const v110 = await f.release(desk, '1.1.0', { description: 'Fixes' }, pkg);
    await file(v110, 'Desk.app.tar.gz', 'Darwin', 'AARCH64');
    await file(v110, 'Desk.dmg', 'darwin', 'aarch64');
    await file(v110, 'Desk_x64.AppImage.tar.gz', 'linux', 'x86_64', null);
    await sigFile(v110, 'Desk_x64.AppImage.tar.gz.sig', `${CLI_LINE}\n`);
    for (const name of ['Desk_x64-setup.nsis.zip', 'Desk_x64.msi.zip', 'Desk_x64-setup.exe', 'Desk_x64.msi']) await file(v110, name, 'windows', 'x86_64');
    await file(v110, 'desk-universal.app.tar.gz', 'darwin-universal', 'universal');
    await file(v110, 'desk-triple.app.tar.gz', 'aarch64-apple-darwin', 'aarch64');
    await file(v110, 'desk-android.zip', 'android', 'aarch64');
    await file(v110, 'desk-riscv.AppImage', 'linux', 'riscv64', `  ${CLI_LINE}\n`);
    // 1.2.0 has files for linux only: it must not hide 1.1.0 from darwin.
    const v120 = await f.release(desk, '1.2.0', {}, pkg);
    await file(v120, 'Desk_x64.AppImage', 'linux', 'x86_64', null);
    await sigFile(v120, 'Desk_x64.AppImage.sig', `\n${MINISIGN}\n`);
    await file(v120, 'Desk_amd64.deb', 'linux', 'x86_64');
    // 1.3.0's darwin update is unsigned; a signed .dmg and a .sig are never updates.
    const v130 = await f.release(desk, '1.3.0', {}, pkg);
    await file(v130, 'Desk.app.tar.gz', 'darwin', 'aarch64', null);
    await file(v130, 'Desk.dmg', 'darwin', 'aarch64');
    await file(v130, 'Desk.dmg.sig', 'darwin', 'aarch64');
    // Only a .deb: offered only to clients whose bundle_type asks for it.
    const v125 = await f.release(desk, '1.2.5', {}, pkg);
    await file(v125, 'Desk_1.2.5_amd64.deb', 'linux', 'x86_64');
    const beta = await f.release(desk, '1.4.0-beta.1', { backdated: '2026-01-02T03:04:05.000Z' }, pkg);
    await file(beta, 'Desk.app.tar.gz', 'darwin', 'aarch64');
    // A file that is not uploaded is never offered.
    await f.artifact(await f.release(desk, '1.5.0', {}, pkg), { filename: 'Desk.app.tar.gz', platform: 'darwin', arch: 'aarch64', signature: 'c2ln' });

    const paid = (await c.product({ name: 'Paid', code: 'paid' })).id;
    const paidPkg = (await c.package(paid, { key: 'paid-app', engine: 'tauri' })).id;
    await f.release(paid, '1.0.0', {}, paidPkg);
    await file(await f.release(paid, '2.0.0', {}, paidPkg), 'Paid.app.tar.gz', 'darwin', 'aarch64');
    paidKey = `License ${(await c.license((await c.policy(paid)).id)).attributes.key}`;
  }, 180_000);
  afterAll(() => t.close());

  describe('the answers an updater accepts', () => {
    it('200: exactly version, url, signature, pub_date and notes, as plain uncompressed JSON', async () => {
      const res = await check('platform=darwin&arch=aarch64&version=1.0.0').expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['notes', 'pub_date', 'signature', 'url', 'version']);
      expect(res.body).toMatchObject({ version: '1.1.0', signature: 'c2lnbmF0dXJl', notes: 'Fixes' });
      expect(res.body.pub_date).toMatch(RFC3339);
      const url = new URL(res.body.url);
      expect(url.pathname).toBe(`/v1/accounts/${acme.id}/artifacts/${art[`${(await t.db.query(`SELECT id FROM releases WHERE version = '1.1.0'`))[0].id}:Desk.app.tar.gz`]}/Desk.app.tar.gz`);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-encoding']).toBeUndefined();
    });

    it('pub_date is the backdated date, else the creation date; notes are "" without a description', async () => {
      const res = await check('platform=darwin&arch=aarch64&version=1.0.0&channel=beta').expect(200);
      expect(res.body).toMatchObject({ version: '1.4.0-beta.1', pub_date: '2026-01-02T03:04:05.000Z', notes: '' });
    });

    it('204 with an empty body when nothing newer is installable, or when version names no visible release', async () => {
      for (const query of ['platform=darwin&arch=aarch64&version=1.4.0-beta.1&channel=beta', 'platform=darwin&arch=aarch64&version=9.9.9', 'platform=darwin&arch=x86_64&version=1.0.0']) {
        const res = await check(query).expect(204);
        expect(res.text).toBeFalsy();
        expect(res.headers['content-length'] ?? '0').toBe('0');
      }
      // 1.0.0 of another package is not this package's release.
      await check('platform=darwin&arch=aarch64&version=1.0.0', paidKey, 'paid-app').expect(200);
      await check('platform=darwin&arch=aarch64&version=2.0.0', null).expect(204);
    });

    it.each(['platform', 'arch', 'version'])('a missing %s is 400 JSON with source.parameter', async (missing) => {
      const query = ['platform=darwin', 'arch=aarch64', 'version=1.0.0'].filter((p) => !p.startsWith(missing)).join('&');
      const res = await check(query).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.errors[0].source).toEqual({ parameter: missing });
    });

    it('a bad channel or constraint is 400 JSON; an unknown parameter is ignored', async () => {
      expect((await check('platform=darwin&arch=aarch64&version=1.0.0&channel=nightly').expect(400)).body.errors[0].source).toEqual({ parameter: 'channel' });
      expect((await check('platform=darwin&arch=aarch64&version=1.0.0&constraint=latest').expect(400)).body.errors[0].code).toBe('CONSTRAINT_INVALID');
      expect(await offered('platform=darwin&arch=aarch64&version=1.0.0&target=custom')).toBe('1.1.0 Desk.app.tar.gz');
    });

    it('an unknown, invisible or non-tauri package is 404 JSON; bad credentials fail in JSON', async () => {
      for (const pkg of ['nope', 'desk-files', 'paid-app']) {
        const res = await check('platform=darwin&arch=aarch64&version=1.0.0', null, pkg).expect(404);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
      }
      const res = await check('platform=darwin&arch=aarch64&version=1.0.0', 'License wrong-key').expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.errors[0].code).toBe('LICENSE_INVALID');
    });
  });

  describe('what is offered', () => {
    it.each([
      ['platform=darwin&arch=aarch64', '1.1.0 Desk.app.tar.gz'],
      ['platform=linux&arch=x86_64', '1.2.0 Desk_x64.AppImage'],
      ['platform=linux&arch=x86_64&bundle_type=appimage', '1.2.0 Desk_x64.AppImage'],
      ['platform=linux&arch=x86_64&bundle_type=deb', '1.2.5 Desk_1.2.5_amd64.deb'],
      ['platform=windows&arch=x86_64', '1.1.0 Desk_x64-setup.nsis.zip'],
      ['platform=windows&arch=x86_64&bundle_type=msi', '1.1.0 Desk_x64.msi.zip'],
      ['platform=windows&arch=x86_64&bundle_type=nsis', '1.1.0 Desk_x64-setup.nsis.zip'],
      ['platform=linux&arch=x86_64&bundle_type=rpm', 204],
      ['platform=android&arch=aarch64', '1.1.0 desk-android.zip'],
    ])('%s → %s', async (target, expected) => {
      expect(await offered(`${target}&version=1.0.0`)).toBe(expected);
    });

    it('platform and arch are opaque and case-insensitive: triples, universal builds, riscv64', async () => {
      expect(await offered('platform=DARWIN&arch=AArch64&version=1.0.0')).toBe('1.1.0 Desk.app.tar.gz');
      expect(await offered('platform=aarch64-apple-darwin&arch=aarch64&version=1.0.0')).toBe('1.1.0 desk-triple.app.tar.gz');
      expect(await offered('platform=darwin-universal&arch=universal&version=1.0.0')).toBe('1.1.0 desk-universal.app.tar.gz');
      expect(await offered('platform=linux&arch=riscv64&version=1.0.0')).toBe('1.1.0 desk-riscv.AppImage');
    });

    it('stored lowercased: the artifact created with platform Darwin and arch AARCH64 reads darwin / aarch64', async () => {
      const res = await t.as(null).get(`${acme.base}/artifacts/${Object.entries(art).find(([k]) => k.endsWith(':Desk.app.tar.gz'))![1]}`).set('Prefer', 'no-download').expect(200);
      expect(res.body.data.attributes).toMatchObject({ platform: 'darwin', arch: 'aarch64' });
    });

    it('a raw + in version (read as a space) or %2B finds the release with build metadata', async () => {
      expect(await offered('platform=darwin&arch=aarch64&version=1.0.5+b1')).toBe('1.1.0 Desk.app.tar.gz');
      expect(await offered('platform=darwin&arch=aarch64&version=1.0.5%2Bb1')).toBe('1.1.0 Desk.app.tar.gz');
    });

    it('channel and constraint follow SPEC §5', async () => {
      expect(await offered('platform=darwin&arch=aarch64&version=1.0.0&channel=beta')).toBe('1.4.0-beta.1 Desk.app.tar.gz');
      expect(await offered('platform=darwin&arch=aarch64&version=1.0.0&channel=beta&constraint=~1.1')).toBe('1.1.0 Desk.app.tar.gz');
      expect(await offered('platform=linux&arch=x86_64&version=1.0.0&constraint=~1.1')).toBe('1.1.0 Desk_x64.AppImage.tar.gz');
    });
  });

  describe('signatures', () => {
    it('falls back to the uploaded <filename>.sig: a CLI .sig is its one base64 line, trimmed', async () => {
      const res = await check('platform=linux&arch=x86_64&version=1.0.0&constraint=~1.1').expect(200);
      expect(res.body.signature).toBe(CLI_LINE);
    });

    it('a raw minisign text (in a .sig or the attribute) is sent base64-encoded as the CLI writes it', async () => {
      expect((await check('platform=linux&arch=x86_64&version=1.0.0').expect(200)).body.signature).toBe(CLI_LINE);
      expect((await check('platform=linux&arch=riscv64&version=1.0.0').expect(200)).body.signature).toBe(CLI_LINE);
    });

    it('the artifact document keeps the signature as stored', async () => {
      const id = Object.entries(art).find(([k]) => k.endsWith(':desk-riscv.AppImage'))![1];
      const res = await t.as(null).get(`${acme.base}/artifacts/${id}`).set('Prefer', 'no-download').expect(200);
      expect(res.body.data.attributes.signature).toBe(`  ${CLI_LINE}\n`);
    });

    it('unsigned files are never offered, and neither are .sig or .dmg files', async () => {
      const res = await check('platform=darwin&arch=aarch64&version=1.1.0').expect(204);
      expect(res.text).toBeFalsy();
    });
  });

  describe('access', () => {
    it('anonymous callers get OPEN packages; LICENSED ones need a license, which gets the update', async () => {
      await check('platform=darwin&arch=aarch64&version=1.0.0', null, 'paid-app').expect(404);
      const res = await check('platform=darwin&arch=aarch64&version=1.0.0', paidKey, 'paid-app').expect(200);
      expect(res.body.version).toBe('2.0.0');
    });

    it('records release.upgraded for the caller', async () => {
      const before = await t.as(bearer(acme.adminToken)).get(`${acme.base}/event-logs?event=release.upgraded&page[size]=100`).expect(200);
      await check('platform=darwin&arch=aarch64&version=1.0.0', paidKey, 'paid-app').expect(200);
      await check('platform=darwin&arch=aarch64&version=2.0.0', paidKey, 'paid-app').expect(204);
      const after = await t.as(bearer(acme.adminToken)).get(`${acme.base}/event-logs?event=release.upgraded&page[size]=100`).expect(200);
      expect(after.body.meta.count - before.body.meta.count).toBe(1);
      expect(after.body.data[0].attributes.metadata).toEqual({ current: '1.0.0', next: '2.0.0' });
      expect(after.body.data[0].relationships.bearer.data.type).toBe('licenses');
    });
  });
});
