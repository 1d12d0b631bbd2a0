import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { binary, localPath } from '../support/upload.js';
import { digest, twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';

/** The simple repository API (SPEC §6.1): pages, negotiation, validators, redirects and who sees what. */
describe('PyPI simple index', () => {
  let t: TestApp;
  let acme: TestAccount;
  let simple: string;
  let appAuth: string;
  let otherAuth: string;
  let goldAuth: string;
  let plainAuth: string;
  let customerAuth: string;
  let readOnlyAuth: string;
  let demoWheel: Buffer;

  const as = (auth: string | null) => t.as(auth);
  const publish = async (auth: string, name: string, version: string, options: { product?: string; requiresPython?: string; sdist?: Buffer } = {}) => {
    const path = options.product ? `${acme.base}/products/${options.product}/engines/pypi` : `${acme.base}/engines/pypi`;
    const bytes = options.sdist ?? wheel(name, version, { requiresPython: options.requiresPython });
    const filename = options.sdist ? `${name}-${version}.tar.gz` : wheelName(name, version);
    const res = await twineForm(as(auth).post(path), { filename, bytes }, twineFields(name, version, bytes, options.sdist ? 'sdist' : 'bdist_wheel'));
    if (res.status !== 201) throw new Error(`upload ${filename} → ${res.status} ${res.text}`);
    return bytes;
  };
  const anchors = (html: string) => [...html.matchAll(/<a ([^>]*)>([^<]*)<\/a>/g)].map((m) => ({ attributes: m[1], text: m[2] }));
  const attribute = (attributes: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(attributes)?.[1];
  const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  /** Follows a file URL as pip does: vanity URL → 303 → signed URL → bytes. */
  const fetchBytes = async (auth: string | null, url: string): Promise<Buffer> => {
    const first = await as(auth).get(localPath(url));
    expect(first.status).toBe(303);
    const second = await t.http.get(localPath(first.headers.location)).buffer(true).parse(binary as never);
    expect(second.status).toBe(200);
    return second.body as Buffer;
  };

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    simple = `${acme.base}/engines/pypi/simple`;
    const c = catalog(t, acme);
    const app = await c.product({ code: 'app' });
    const open = await c.product({ code: 'open', distributionStrategy: 'OPEN' });
    const other = await c.product({ code: 'other' });
    appAuth = basic('__token__', await c.token(`products/${app.id}`));
    otherAuth = basic('__token__', await c.token(`products/${other.id}`));
    const gold = await c.entitlement('GOLD');
    const policy = await c.policy(app.id);
    const goldLicense = await c.license(policy.id);
    await c.attach(`licenses/${goldLicense.id}`, [gold.id]);
    goldAuth = basic('license', goldLicense.attributes.key as string);
    plainAuth = basic('license', (await c.license(policy.id)).attributes.key as string);
    const customer = await userWithToken(t, acme, 'customer@acme.test', 'user');
    await c.license(policy.id, {}, customer.id);
    customerAuth = customer.header;
    readOnlyAuth = (await userWithToken(t, acme, 'ro@acme.test', 'read-only')).header;

    demoWheel = await publish(appAuth, 'Demo_Pkg', '1.0', { requiresPython: '<4,>=3.8' });
    await publish(appAuth, 'Demo_Pkg', '1.0', { sdist: Buffer.from('sdist of demo') });
    await publish(appAuth, 'Demo_Pkg', '0.9');
    await publish(appAuth, 'gold-only', '1.0');
    await publish(basic('__token__', await c.token(`products/${open.id}`)), 'open-pkg', '2.0b1');
    await publish(otherAuth, 'other-pkg', '1.0');
    const admin = as(bearer(acme.adminToken));
    await admin.post(`${acme.base}/releases/0.9.0/actions/yank?package=demo-pkg`).expect(200);
    const [goldRelease] = await t.db.query(`SELECT r.id FROM releases r JOIN packages p ON p.id = r.package_id WHERE p.key = 'gold-only'`);
    await admin
      .post(`${acme.base}/releases/${goldRelease.id}/constraints`)
      .send({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: gold.id } } } }] })
      .expect(200);
  });
  afterAll(() => t.close());

  it('serves an HTML project page: PEP 629 meta, absolute file URLs on the request host with sha256 fragments of the served bytes, escaped attributes, metadata', async () => {
    const res = await as(plainAuth).get(`${simple}/demo-pkg/`).set('Host', 'pypi.example:8443').set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/^<!DOCTYPE html>/);
    expect(res.text).toContain('<meta name="pypi:repository-version" content="1.1">');
    const files = anchors(res.text);
    expect(files.map((a) => a.text)).toEqual(['Demo_Pkg-1.0-py3-none-any.whl', 'Demo_Pkg-1.0.tar.gz']);
    const [whl, sdist] = files;
    expect(attribute(whl.attributes, 'data-requires-python')).toBe('&lt;4,&gt;=3.8');
    expect(whl.attributes).not.toContain('data-yanked');
    const href = unescape(attribute(whl.attributes, 'href')!);
    expect(href).toMatch(new RegExp(`^http://pypi\\.example:8443/v1/accounts/${acme.id}/artifacts/[0-9a-f-]{36}/Demo_Pkg-1\\.0-py3-none-any\\.whl#sha256=[0-9a-f]{64}$`));
    const [url, fragment] = href.split('#sha256=');
    const bytes = await fetchBytes(plainAuth, url);
    expect(bytes.equals(demoWheel)).toBe(true);
    expect(fragment).toBe(digest('sha256', bytes));
    const metadataHash = attribute(whl.attributes, 'data-core-metadata');
    expect(attribute(whl.attributes, 'data-dist-info-metadata')).toBe(metadataHash);
    const metadata = await as(plainAuth).get(localPath(`${url}.metadata`)).buffer(true).parse(binary as never);
    expect(metadata.status).toBe(200);
    expect(metadataHash).toBe(`sha256=${digest('sha256', metadata.body)}`);
    expect(metadata.body.toString()).toContain('Requires-Python: <4,>=3.8');
    expect(sdist.attributes).not.toContain('data-core-metadata');
    const sdistUrl = unescape(attribute(sdist.attributes, 'href')!).split('#')[0];
    expect((await as(plainAuth).get(localPath(`${sdistUrl}.metadata`))).status).toBe(404);
    expect((await as(null).get(localPath(`${url}.metadata`))).status).toBe(404);
  });

  it('serves the PEP 691 JSON page with PEP 700 fields and core-metadata, never dist-info-metadata', async () => {
    const res = await as(plainAuth).get(`${simple}/demo-pkg/`).set('Accept', JSON_TYPE);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    const page = JSON.parse(res.text);
    expect(page.meta).toEqual({ 'api-version': '1.1' });
    expect(page.name).toBe('demo-pkg');
    expect(page.versions).toEqual(['1.0.0']);
    expect(page.files).toHaveLength(2);
    const [whl] = page.files;
    expect(whl).toEqual({
      filename: 'Demo_Pkg-1.0-py3-none-any.whl',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/accounts\/.+\/Demo_Pkg-1\.0-py3-none-any\.whl$/),
      hashes: { sha256: digest('sha256', demoWheel) },
      'requires-python': '<4,>=3.8',
      size: demoWheel.length,
      'upload-time': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/),
      yanked: false,
      'core-metadata': { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(res.text).not.toContain('dist-info-metadata');
  });

  it.each([
    [undefined, undefined, 'text/html; charset=utf-8'],
    ['*/*', undefined, 'text/html; charset=utf-8'],
    ['text/html', undefined, 'text/html; charset=utf-8'],
    [HTML_TYPE, undefined, HTML_TYPE],
    [JSON_TYPE, undefined, JSON_TYPE],
    ['application/vnd.pypi.simple.latest+json', undefined, JSON_TYPE],
    ['application/vnd.pypi.simple.latest+html', undefined, HTML_TYPE],
    [`${JSON_TYPE}, ${HTML_TYPE};q=0.1, text/html;q=0.01`, undefined, JSON_TYPE],
    [`${JSON_TYPE};q=0.2, text/html;q=0.5`, undefined, 'text/html; charset=utf-8'],
    ['application/*', undefined, JSON_TYPE],
    ['application/json', undefined, 'text/html; charset=utf-8'],
    [`${JSON_TYPE};q=0`, undefined, 'text/html; charset=utf-8'],
    ['text/html', JSON_TYPE, JSON_TYPE],
    [JSON_TYPE, 'text/html', 'text/html; charset=utf-8'],
  ])('negotiates Accept %s with format %s → %s', async (accept, format, type) => {
    let req = as(null).get(`${simple}/open-pkg/${format ? `?format=${encodeURIComponent(format)}` : ''}`);
    if (accept) req = req.set('Accept', accept);
    const res = await req;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers.vary).toBe('Accept');
  });

  it('refuses a format that names no page type', async () => {
    expect((await as(null).get(`${simple}/open-pkg/?format=application/json`)).status).toBe(400);
  });

  it.each([
    ['/simple', '/simple/'],
    ['/simple/Demo_Pkg/', '/simple/demo-pkg/'],
    ['/simple/demo-pkg', '/simple/demo-pkg/'],
    ['/simple/Demo.PKG?format=text%2Fhtml', '/simple/demo-pkg/?format=text%2Fhtml'],
    ['/simple/Unknown__Thing', '/simple/unknown-thing/'],
  ])('redirects %s to %s with 301 before any lookup', async (from, to) => {
    const base = `${acme.base}/engines/pypi`;
    for (const prefix of [base, `${acme.base}/products/app/engines/pypi`]) {
      const res = await as(null).get(`${prefix}${from}`);
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(`${prefix}${to}`);
    }
  });

  it('answers POST on any /simple/ URL with 405', async () => {
    for (const path of ['/', '/demo-pkg/', '/Demo_Pkg', '']) {
      const res = await as(appAuth).post(`${simple}${path}`);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
    }
  });

  it('gives a strong ETag and 304, with no-cache (private with credentials), and shows a new upload on the very next request', async () => {
    // File URLs are on the request's host, so the host stays the same (supertest changes ports).
    const page = (auth: string | null, path: string) => as(auth).get(path).set('Host', 'pypi.test');
    const first = await page(plainAuth, `${simple}/demo-pkg/`);
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_.-]+"$/);
    expect(first.headers['cache-control']).toBe('private, no-cache');
    expect((await as(null).get(`${simple}/open-pkg/`)).headers['cache-control']).toBe('no-cache');
    const again = await page(plainAuth, `${simple}/demo-pkg/`).set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
    expect(again.text ?? '').toBe('');
    const json = await page(plainAuth, `${simple}/demo-pkg/`).set('Accept', JSON_TYPE).set('If-None-Match', first.headers.etag);
    expect(json.status).toBe(200);
    await publish(appAuth, 'Demo_Pkg', '1.1');
    const after = await page(plainAuth, `${simple}/demo-pkg/`).set('If-None-Match', first.headers.etag);
    expect(after.status).toBe(200);
    expect(after.text).toContain('Demo_Pkg-1.1-py3-none-any.whl');
    expect(after.headers.etag).not.toBe(first.headers.etag);
  });

  it.each([
    ['anonymous', null, 401],
    ['a license of the product', 'plain', 200],
    ['a customer owning a license', 'customer', 200],
    ['another product', 'other', 403],
    ['bad credentials', 'bad', 401],
  ])('project page of a LICENSED product for %s', async (_, who, status) => {
    const auth = { plain: plainAuth, customer: customerAuth, other: otherAuth, bad: basic('license', 'nope-nope-nope') }[who ?? ''] ?? null;
    for (const base of [simple, `${acme.base}/products/app/engines/pypi/simple`]) {
      const res = await as(auth).get(`${base}/demo-pkg/`);
      expect(res.status).toBe(status);
      if (status === 401) expect(res.headers['www-authenticate']).toBe('Basic realm="keyshelf"');
      if (status !== 200) expect(res.headers['content-type']).toMatch(/^text\/plain/);
    }
  });

  it('shows constrained releases only to licenses holding the entitlement (403 otherwise), and yanked files only to staff and the product, marked', async () => {
    expect((await as(plainAuth).get(`${simple}/gold-only/`)).status).toBe(403);
    expect(anchors((await as(goldAuth).get(`${simple}/gold-only/`)).text).map((a) => a.text)).toEqual(['gold_only-1.0-py3-none-any.whl']);
    for (const auth of [readOnlyAuth, appAuth]) {
      const page = anchors((await as(auth).get(`${simple}/demo-pkg/`)).text);
      const yanked = page.find((a) => a.text === 'Demo_Pkg-0.9-py3-none-any.whl');
      expect(yanked?.attributes).toContain('data-yanked=""');
      expect(page.filter((a) => a.attributes.includes('data-yanked'))).toHaveLength(1);
      const json = JSON.parse((await as(auth).get(`${simple}/demo-pkg/`).set('Accept', JSON_TYPE)).text);
      expect(json.files.find((f: { filename: string }) => f.filename === 'Demo_Pkg-0.9-py3-none-any.whl').yanked).toBe(true);
      expect(json.versions).toEqual(expect.arrayContaining(['0.9.0', '1.0.0']));
    }
    expect((await as(plainAuth).get(`${simple}/demo-pkg/`)).text).not.toContain('0.9');
  });

  it('redirects an unknown project upstream (307), never one that exists here, and 404s when upstream is off', async () => {
    const unknown = await as(null).get(`${simple}/requests/?format=text%2Fhtml`);
    expect(unknown.status).toBe(307);
    expect(unknown.headers.location).toBe('https://pypi.org/simple/requests/?format=text%2Fhtml');
    expect((await as(null).get(`${acme.base}/products/app/engines/pypi/simple/requests/`)).headers.location).toBe('https://pypi.org/simple/requests/');
    expect((await as(null).get(`${acme.base}/products/nope/engines/pypi/simple/requests/`)).status).toBe(404);
    // Another product's project, through this product's index: it exists here, so 404, not upstream.
    expect((await as(null).get(`${acme.base}/products/app/engines/pypi/simple/open-pkg/`)).status).toBe(404);
    const upstream = t.config.pypiUpstreamUrl;
    t.config.pypiUpstreamUrl = null;
    try {
      expect((await as(null).get(`${simple}/requests/`)).status).toBe(404);
    } finally {
      t.config.pypiUpstreamUrl = upstream;
    }
  });

  it('lists projects with a visible file on each index level, and never asks anonymous callers for credentials there', async () => {
    const names = async (auth: string | null, path = simple) => {
      const res = await as(auth).get(`${path}/`).set('Accept', JSON_TYPE);
      expect(res.status).toBe(200);
      return JSON.parse(res.text).projects.map((p: { name: string }) => p.name);
    };
    expect(await names(null)).toEqual(['open-pkg']);
    expect(await names(plainAuth)).toEqual(['demo-pkg', 'open-pkg']);
    expect(await names(goldAuth)).toEqual(['demo-pkg', 'gold-only', 'open-pkg']);
    expect(await names(readOnlyAuth)).toEqual(['demo-pkg', 'gold-only', 'open-pkg', 'other-pkg']);
    expect(await names(goldAuth, `${acme.base}/products/app/engines/pypi/simple`)).toEqual(['demo-pkg', 'gold-only']);
    expect((await as(null).get(`${acme.base}/products/app/engines/pypi/simple/`)).status).toBe(404);
    const html = await as(null).get(`${simple}/`);
    expect(anchors(html.text)).toEqual([{ attributes: 'href="open-pkg/"', text: 'open-pkg' }]);
    expect((await as(basic('license', 'nope-nope-nope')).get(`${simple}/`)).status).toBe(401);
  });

  it('downloads by sha256 with the artifact’s access rules, and 404s on a wrong sha256', async () => {
    const sha = digest('sha256', demoWheel);
    const path = `${acme.base}/engines/pypi/files/${sha}/Demo_Pkg-1.0-py3-none-any.whl`;
    const ok = await as(plainAuth).get(path);
    expect(ok.status).toBe(303);
    const bytes = await t.http.get(localPath(ok.headers.location)).buffer(true).parse(binary as never);
    expect(digest('sha256', bytes.body)).toBe(sha);
    expect((await as(plainAuth).get(`${acme.base}/products/app/engines/pypi/files/${sha}/Demo_Pkg-1.0-py3-none-any.whl`)).status).toBe(303);
    expect((await as(plainAuth).get(`${acme.base}/products/open/engines/pypi/files/${sha}/Demo_Pkg-1.0-py3-none-any.whl`)).status).toBe(404);
    expect((await as(null).get(path)).status).toBe(404);
    expect((await as(otherAuth).get(path)).status).toBe(404);
    expect((await as(plainAuth).get(path.replace(sha, '0'.repeat(64)))).status).toBe(404);
  });
});
