import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createBLAKE2b } from 'hash-wasm';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { coreMetadata, digest, twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';

/**
 * twine's legacy upload API (SPEC §6.1): what is accepted, and every way an upload is refused
 * with a plain-text 4xx whose message is the reason phrase, leaving nothing behind.
 */
describe('PyPI upload', () => {
  let t: TestApp;
  let acme: TestAccount;
  let productAuth: string;
  let licenseAuth: string;
  let readOnlyAuth: string;
  let url: string;

  const blake2 = async (bytes: Buffer) => {
    const hasher = await createBLAKE2b(256);
    hasher.init();
    hasher.update(bytes);
    return hasher.digest('hex');
  };
  const upload = (auth: string | null, file: { filename: string; bytes: Buffer }, fields: Record<string, string | undefined>, path = url) =>
    twineForm((auth ? t.as(auth) : t.as(null)).post(path), file, fields);
  const sdist = (name: string, version: string, bytes: Buffer, filename = `${name}-${version}.tar.gz`) => ({ filename, bytes, fields: twineFields(name, version, bytes, 'sdist') });
  const whl = (name: string, version: string, options: Parameters<typeof wheel>[2] = {}) => {
    const bytes = wheel(name, version, options);
    return { filename: wheelName(name, version), bytes, fields: twineFields(name, version, bytes, 'bdist_wheel') };
  };

  const reason = (res: unknown) => (res as { res: { statusMessage: string } }).res.statusMessage;
  const state = async () => {
    const [row] = await t.db.query(
      `SELECT (SELECT count(*) FROM packages)::int AS packages, (SELECT count(*) FROM releases)::int AS releases,
              (SELECT count(*) FROM artifacts)::int AS artifacts, (SELECT count(*) FROM artifact_metadata)::int AS metadata`,
    );
    const files = async (dir: string): Promise<number> => {
      let n = 0;
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) n += entry.isDirectory() ? await files(join(dir, entry.name)) : 1;
      return n;
    };
    return { ...row, blobs: await files(join(t.config.dataDir, 'storage')) };
  };

  beforeAll(async () => {
    t = await startApp({ MAX_UPLOAD_BYTES: String(256 * 1024), PYPI_UPSTREAM_URL: '' });
    acme = await createAccount(t, { slug: 'acme' });
    url = `${acme.base}/engines/pypi`;
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    productAuth = basic('__token__', await c.token(`products/${product.id}`));
    const policy = await c.policy(product.id);
    licenseAuth = basic('license', (await c.license(policy.id)).attributes.key as string);
    readOnlyAuth = (await userWithToken(t, acme, 'ro@acme.test', 'read-only')).header;
  });
  afterAll(() => t.close());

  it('accepts a wheel and an sdist as twine sends them: 201, package, PUBLISHED release, metadata', async () => {
    const w = whl('Demo.Pkg', '1.0.0rc1', { requiresPython: '>=3.8' });
    const res = await upload(productAuth, w, { ...w.fields, blake2_256_digest: await blake2(w.bytes) });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const s = sdist('Demo.Pkg', '1.0.0rc1', Buffer.from('sdist bytes'), 'Demo.Pkg-1.0.0rc1.tar.gz');
    expect((await upload(productAuth, s, s.fields)).status).toBe(201);
    const [release] = await t.db.query(`SELECT r.version, r.channel, r.status, p.key, p.engine FROM releases r JOIN packages p ON p.id = r.package_id WHERE p.key = 'demo-pkg'`);
    expect(release).toEqual({ version: '1.0.0-rc.1', channel: 'rc', status: 'PUBLISHED', key: 'demo-pkg', engine: 'pypi' });
    const [meta] = await t.db.query(`SELECT m.requires_python, m.content, m.sha256 FROM artifact_metadata m JOIN artifacts a ON a.id = m.artifact_id WHERE a.filename = $1`, [w.filename]);
    expect(meta.requires_python).toBe('>=3.8');
    expect(meta.content.toString()).toBe(coreMetadata('Demo.Pkg', '1.0.0rc1', '>=3.8'));
    expect(meta.sha256).toBe(digest('sha256', meta.content));
    const events = await t.db.query(`SELECT event FROM event_logs WHERE event LIKE 'artifact.%'`);
    expect(events.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(['artifact.created', 'artifact.uploaded']));
  });

  it('takes the PUT method, the trailing slash, the product-level URL, and the file before the fields (GitLab curl form)', async () => {
    const a = sdist('curl-first', '0.1', Buffer.from('a'));
    const first = t.as(productAuth).put(`${url}/`).attach('content', a.bytes, { filename: a.filename }).field('name', 'curl-first').field('version', '0.1');
    expect((await first).status).toBe(201);
    const b = sdist('curl-first', '0.2', Buffer.from('b'));
    expect((await upload(productAuth, b, { name: 'curl-first', version: '0.2' }, `${acme.base}/products/app/engines/pypi/`)).status).toBe(201);
    const versions = await t.db.query(`SELECT r.version FROM releases r JOIN packages p ON p.id = r.package_id WHERE p.key = 'curl-first' ORDER BY r.sort_key`);
    expect(versions.map((r: { version: string }) => r.version)).toEqual(['0.1.0', '0.2.0']);
  });

  it('adds a file to a DRAFT version and leaves it a draft (the vendor publishes it)', async () => {
    const s = sdist('drafted', '3.0', Buffer.from('draft'));
    expect((await upload(productAuth, s, s.fields)).status).toBe(201);
    const admin = t.as(bearer(acme.adminToken));
    const created = await admin
      .post(`${acme.base}/releases`)
      .send({ data: { type: 'releases', attributes: { version: '3.1.0', channel: 'stable', status: 'DRAFT' }, relationships: { product: { data: { type: 'products', id: 'app' } }, package: { data: { type: 'packages', id: 'drafted' } } } } });
    expect(created.status).toBe(201);
    const next = sdist('drafted', '3.1', Buffer.from('draft 2'));
    expect((await upload(productAuth, next, next.fields)).status).toBe(201);
    const [release] = await t.db.query(`SELECT status, (SELECT count(*)::int FROM artifacts a WHERE a.release_id = r.id) AS files FROM releases r WHERE r.id = $1`, [created.body.data.id]);
    expect(release).toEqual({ status: 'DRAFT', files: 1 });
    const page = (auth: string) => t.as(auth).get(`${acme.base}/engines/pypi/simple/drafted/`);
    expect((await page(productAuth)).text).toContain('drafted-3.1.tar.gz');
    expect((await page(licenseAuth)).text).not.toContain('drafted-3.1.tar.gz');
  });

  it('maps PEP 440 versions to SemVer releases and channels', async () => {
    const cases: [string, string, string][] = [
      ['2', '2.0.0', 'stable'],
      ['2.1a3', '2.1.0-alpha.3', 'alpha'],
      ['2.1.0b2', '2.1.0-beta.2', 'beta'],
      ['2.2.dev4', '2.2.0-dev.4', 'dev'],
      ['2.2.post1', '2.2.0+post.1', 'stable'],
    ];
    for (const [pep440, semver, channel] of cases) {
      const s = sdist('mapped', pep440, Buffer.from(pep440));
      expect((await upload(productAuth, s, s.fields)).status).toBe(201);
      const [row] = await t.db.query(`SELECT r.channel FROM releases r JOIN packages p ON p.id = r.package_id WHERE p.key = 'mapped' AND r.version = $1`, [semver]);
      expect(row).toEqual({ channel });
    }
  });

  const bytes = Buffer.from('the sdist');
  const base = twineFields('checked', '1.0', bytes, 'sdist');
  const file = { filename: 'checked-1.0.tar.gz', bytes };
  it.each([
    ['no content part', null, base, 400, /content part/],
    ['no name', file, { ...base, name: undefined }, 400, /name field is missing/],
    ['no version', file, { ...base, version: undefined }, 400, /version field is missing/],
    ['a wrong sha256_digest', file, { ...base, sha256_digest: '0'.repeat(64) }, 400, /sha256_digest does not match/],
    ['a wrong md5_digest', file, { ...base, md5_digest: '0'.repeat(32) }, 400, /md5_digest does not match/],
    ['a wrong blake2_256_digest', file, { ...base, blake2_256_digest: 'a'.repeat(64) }, 400, /blake2_256_digest does not match/],
    ['a malformed digest', file, { ...base, sha256_digest: 'xyz' }, 400, /64 hexadecimal digits/],
    ['another project name', file, { ...base, name: 'other' }, 400, /does not match the project name/],
    ['another version', file, { ...base, version: '1.1' }, 400, /does not match the version/],
    ['an epoch', { filename: 'checked-1!1.0.tar.gz', bytes }, { ...base, version: '1!1.0' }, 400, /epochs/],
    ['a local version', { filename: 'checked-1.0+local.tar.gz', bytes }, { ...base, version: '1.0+local' }, 400, /local versions/],
    ['four release numbers', { filename: 'checked-1.2.3.4.tar.gz', bytes }, { ...base, version: '1.2.3.4' }, 400, /more than three/],
    ['a pre-release with .dev', { filename: 'checked-1.0a1.dev2.tar.gz', bytes }, { ...base, version: '1.0a1.dev2' }, 400, /\.devN combined/],
    ['not a PEP 440 version', { filename: 'checked-banana.tar.gz', bytes }, { ...base, version: 'banana' }, 400, /not a valid PEP 440/],
    ['a bad extension', { filename: 'checked-1.0.exe', bytes }, base, 400, /Invalid file extension/],
    ['a filetype that is not the file’s', file, { ...base, filetype: 'bdist_wheel' }, 400, /does not match the file/],
    ['an unknown :action', file, { ...base, ':action': 'remove_pkg' }, 400, /Unknown :action/],
    ['an unknown protocol_version', file, { ...base, protocol_version: '2' }, 400, /protocol_version/],
    ['a bad requires_python', file, { ...base, requires_python: '>=3.6.*' }, 400, /not a valid version specifier/],
  ])('refuses %s with a plain-text 400 and keeps nothing', async (_, content, fields, status, message) => {
    const before = await state();
    const req = content ? upload(productAuth, content, fields) : Object.entries(fields).reduce((r, [k, v]) => (v === undefined ? r : r.field(k, v)), t.as(productAuth).post(url));
    const res = await req;
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(message);
    expect(reason(res)).toMatch(message);
    expect(await state()).toEqual(before);
  });

  /** A multipart body written by hand: form-data (behind supertest) cuts filenames at the last "/" itself. */
  const handForm = (fields: Record<string, string | undefined>, filename: string, bytes: Buffer, fileFirst = false) => {
    const parts = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => Buffer.from(`--xx\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    const file = Buffer.concat([Buffer.from(`--xx\r\nContent-Disposition: form-data; name="content"; filename="${filename}"\r\n\r\n`), bytes, Buffer.from('\r\n')]);
    const body = Buffer.concat([...(fileFirst ? [file, ...parts] : [...parts, file]), Buffer.from('--xx--\r\n')]);
    return t.as(productAuth).post(url).set('Content-Type', 'multipart/form-data; boundary=xx').send(body);
  };

  // A backslash in the form's quoted filename is written escaped, as two.
  it.each([['../../pathy-1.0.tar.gz'], ['dir/pathy-1.0.tar.gz'], ['a\\\\pathy-1.0.tar.gz'], ['C:\\\\x\\\\pathy-1.0.tar.gz']])(
    'refuses the filename %s (a path) with 400 FILENAME_INVALID, never under its last segment',
    async (filename) => {
      const before = await state();
      const bytes = Buffer.from('pathy');
      const res = await handForm(twineFields('pathy', '1.0', bytes, 'sdist'), filename, bytes);
      expect(res.status).toBe(400);
      expect(reason(res)).toMatch(/The filename must be 1 to 255 characters without/);
      expect(await state()).toEqual(before);
    },
  );

  it.each([
    ['pep440-a-1.0.post1.tar.gz', '1.0-1', false],
    ['pep440-b-1.0-1.tar.gz', '1.0.post1', false],
    ['pep440-c-1.0-1.tar.gz', '1.0.post1', true],
    ['pep440-d-1.0.post1.tar.gz', '1.0-1', true],
    ['pep440-e-2.0-rc1.tar.gz', '2.0rc1', true],
    ['pep440_f-1.0.0.tar.gz', '1.0', true],
  ])('accepts the sdist %s with version %s (the same PEP 440 version; file first: %p)', async (filename, version, fileFirst) => {
    const bytes = Buffer.from(filename);
    const name = filename.replace(/-\d.*$/, '');
    const res = await handForm(twineFields(name, version, bytes, 'sdist'), filename, bytes, fileFirst);
    expect({ status: res.status, text: res.text }).toEqual({ status: 201, text: expect.any(String) });
    const [row] = await t.db.query(`SELECT p.key, r.version FROM artifacts a JOIN releases r ON r.id = a.release_id JOIN packages p ON p.id = r.package_id WHERE a.filename = $1`, [filename]);
    expect(row.key).toBe(name.replace(/[-_.]+/g, '-').toLowerCase());
  });

  it('refuses a wheel without METADATA, a zip bomb, METADATA of another project, and a file that is no zip', async () => {
    const before = await state();
    const noMetadata = whl('wheely', '1.0', { metadata: null });
    const bomb = whl('wheely', '1.0', { metadata: `${coreMetadata('wheely', '1.0')}${'x'.repeat(20 * 1024 * 1024)}` });
    expect(bomb.bytes.length).toBeLessThan(256 * 1024);
    const other = whl('wheely', '1.0', { metadata: coreMetadata('someone-else', '1.0') });
    const garbage = { filename: wheelName('wheely', '1.0'), bytes: Buffer.from('not a zip at all') };
    for (const [w, message] of [
      [noMetadata, /no \.dist-info\/METADATA/],
      [bomb, /inflates beyond/],
      [other, /names another project/],
      [{ ...garbage, fields: twineFields('wheely', '1.0', garbage.bytes, 'bdist_wheel') }, /METADATA|zip/],
    ] as const) {
      const res = await upload(productAuth, { filename: w.filename, bytes: w.bytes }, w.fields);
      expect({ status: res.status, text: res.text }).toEqual({ status: 400, text: expect.stringMatching(message) });
    }
    expect(await state()).toEqual(before);
  });

  it('answers a byte-identical upload with 200, other bytes with 409 "File already exists", and a deleted filename with 409 "File name has been used before"', async () => {
    const s = sdist('dupe', '1.0', Buffer.from('one'));
    const first = await upload(productAuth, s, s.fields);
    expect(first.status).toBe(201);
    const before = await state();
    expect((await upload(productAuth, s, s.fields)).status).toBe(200);
    const other = sdist('dupe', '1.0', Buffer.from('two'));
    const conflict = await upload(productAuth, other, other.fields);
    expect({ status: conflict.status, reason: reason(conflict) }).toEqual({ status: 409, reason: 'File already exists' });
    expect(await state()).toEqual(before);

    const [artifact] = await t.db.query(`SELECT id FROM artifacts WHERE filename = 'dupe-1.0.tar.gz'`);
    await t.as(productAuth).delete(`${acme.base}/artifacts/${artifact.id}`).expect(204);
    const reused = await upload(productAuth, other, other.fields);
    expect({ status: reused.status, reason: reason(reused) }).toEqual({ status: 409, reason: 'File name has been used before' });
    // Deleting the whole project does not free its filenames either.
    await t.as(productAuth).delete(`${acme.base}/packages/dupe`).expect(204);
    expect(reason(await upload(productAuth, other, other.fields))).toBe('File name has been used before');
    expect((await upload(productAuth, s, s.fields)).status).toBe(201);
  });

  it('refuses an upload over the limit with 413 and keeps no bytes', async () => {
    const before = await state();
    const big = sdist('big', '1.0', Buffer.alloc(300 * 1024, 7));
    const res = await upload(productAuth, big, big.fields);
    expect(res.status).toBe(413);
    expect(await state()).toEqual(before);
  });

  it('asks anonymous callers for credentials (Basic) and refuses licenses and read-only users before reading the body (403)', async () => {
    const s = sdist('guarded', '1.0', Buffer.from('g'));
    const anonymous = await upload(null, s, s.fields);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="keyshelf"');
    expect(anonymous.headers['content-type']).toMatch(/^text\/plain/);
    expect((await upload(licenseAuth, s, s.fields)).status).toBe(403);
    expect((await upload(readOnlyAuth, s, s.fields)).status).toBe(403);
    expect((await upload(basic('__token__', 'prod_nope'), s, s.fields)).status).toBe(401);
    expect((await upload(bearer(acme.adminToken), s, s.fields)).status).toBe(400); // a new project needs a product
  });

  it('refuses a body that is not multipart/form-data', async () => {
    const res = await t.as(productAuth).post(url).set('Content-Type', 'application/octet-stream').send(Buffer.from('x'));
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/multipart\/form-data/);
    const json = await t.as(productAuth).post(url).set('Content-Type', 'application/json').send('{"broken');
    expect(json.status).toBe(400);
    expect(json.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('races identical and different uploads of one filename into an existing release: identical ones answer as a sequential re-upload would', async () => {
    const first = sdist('racer3', '1.0', Buffer.from('seed'));
    expect((await upload(productAuth, first, first.fields)).status).toBe(201);
    for (let round = 0; round < 3; round++) {
      const same = sdist('racer3', `2.${round}`, Buffer.alloc(30_000, round + 1));
      const other = sdist('racer3', `2.${round}`, Buffer.alloc(30_000, round + 101));
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? upload(productAuth, other, other.fields) : upload(productAuth, same, same.fields))));
      const winner = answers.find((r) => r.status === 201)!;
      const winnerIsSame = answers.indexOf(winner) % 3 !== 2;
      answers.forEach((r, i) => {
        if (r === winner) return;
        const identical = i % 3 !== 2 ? winnerIsSame : !winnerIsSame;
        expect({ status: r.status, reason: reason(r) }).toEqual(identical ? { status: 200, reason: 'OK' } : { status: 409, reason: 'File already exists' });
      });
    }
  });

  it('races 20 uploads of one filename: one 201, the rest 200 when identical or 409 otherwise, never a 5xx', async () => {
    const same = sdist('racer', '1.0', Buffer.alloc(20_000, 1));
    const identical = await Promise.all(Array.from({ length: 20 }, () => upload(productAuth, same, same.fields)));
    expect(identical.map((r) => r.status).sort()).toEqual([200, ...Array<number>(18).fill(200), 201].sort());
    const different = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const s = sdist('racer2', '1.0', Buffer.from(`bytes ${i}`));
        return upload(productAuth, s, s.fields);
      }),
    );
    const statuses = different.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    // A filename whose artifact exists is "already exists"; "used before" is for deleted ones only.
    expect(new Set(different.filter((r) => r.status === 409).map(reason))).toEqual(new Set(['File already exists']));
    const [row] = await t.db.query(`SELECT count(*)::int AS n FROM artifacts WHERE filename IN ('racer-1.0.tar.gz', 'racer2-1.0.tar.gz')`);
    expect(row.n).toBe(2);
  });
});
