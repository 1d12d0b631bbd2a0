import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type request from 'supertest';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { footprint } from '../support/footprint.js';
import { coreMetadata, twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { head, rawRequest } from '../support/raw-http.js';
import { localPath } from '../support/upload.js';

const LIMIT = 256 * 1024;

/**
 * SPEC §10: a corpus of hostile input over every input surface — JSON:API bodies and query
 * parameters, PyPI upload fields and filenames, generic paths, the Tauri query, headers and the
 * HTTP framing itself. Every case is sent by a bearer who may write (so what refuses it is the
 * input rule, not the access rule), must get a 4xx — never a 5xx — and must leave the database
 * (every row of every table) and the storage directory exactly as they were.
 */
describe('hostile-input corpus', () => {
  let t: TestApp;
  let acme: TestAccount;
  let port: number;
  let A = '';
  let auth = '';
  const ids = {} as Record<string, string>;
  const admin = () => t.as(auth);
  const rel = (type: string, id: string) => ({ data: { type, id } });

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0', MAX_UPLOAD_BYTES: String(LIMIT) });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    acme = await createAccount(t, { slug: 'acme' });
    A = acme.base;
    auth = bearer(acme.adminToken);
    const c = catalog(t, acme);
    ids.product = (await c.product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' })).id;
    const bytes = wheel('demo', '1.0.0');
    await twineForm(admin().post(`${A}/products/app/engines/pypi`), { filename: wheelName('demo', '1.0.0'), bytes }, twineFields('demo', '1.0.0', bytes, 'bdist_wheel')).expect(201);
    await admin().put(`${A}/engines/generic/tool/1.0.0/tool.bin?product=app`).send('tool').expect(201);
    const desk = await c.package(ids.product, { key: 'desk', engine: 'tauri' });
    ids.release = (
      await admin()
        .post(`${A}/releases`)
        .send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: rel('products', ids.product), package: rel('packages', desk.id) }))
        .expect(201)
    ).body.data.id;
    const waiting = await admin().post(`${A}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'app.bin' }, { release: rel('releases', ids.release) })).expect(200);
    ids.upload = localPath(waiting.headers.location);
    ids.artifact = waiting.body.data.id;
    const download = await admin().post(`${A}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'done.bin' }, { release: rel('releases', ids.release) })).expect(200);
    await t.http.put(localPath(download.headers.location)).send(Buffer.alloc(100, 1)).expect(200);
    ids.downloaded = download.body.data.id;
    ids.other = (await createAccount(t, { slug: 'other' })).id;
  }, 120_000);
  afterAll(() => t.close());

  type Case = [surface: string, name: string, send: () => PromiseLike<{ status: number | null }>];
  const json = (req: request.Test, body: string | object) => req.set('Content-Type', 'application/vnd.api+json').send(typeof body === 'string' ? body : JSON.stringify(body));
  const product = (attributes: Record<string, unknown>) => json(admin().post(`${A}/products`), doc('products', { name: 'p', ...attributes }));
  const artifact = (filename: unknown) => json(admin().post(`${A}/artifacts`), doc('artifacts', { filename }, { release: rel('releases', ids.release) }));
  const release = (version: unknown) => json(admin().post(`${A}/releases`), doc('releases', { version, channel: 'stable' }, { product: rel('products', ids.product) }));
  const generic = (path: string, body = 'bytes') => admin().put(`${A}/engines/generic/${path}`).send(body);
  const twine = (filename: string, bytes: Buffer, fields: Record<string, string | undefined>) => twineForm(admin().post(`${A}/engines/pypi`), { filename, bytes }, fields);
  const wheelUpload = (version: string, extra: Record<string, string | undefined> = {}, options: Parameters<typeof wheel>[2] = {}) => {
    const bytes = wheel('demo', version, options);
    return twine(wheelName('demo', version), bytes, twineFields('demo', version, bytes, 'bdist_wheel', extra));
  };
  const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const raw = (parts: (string | Buffer)[], options?: Parameters<typeof rawRequest>[2]) => rawRequest(port, parts, options);
  const authHeaders = () => ({ Host: `127.0.0.1:${port}`, Authorization: auth });
  /**
   * A multipart body written by hand (a client library would rewrite the filename, or refuse to
   * send a cut body): the fields, then the file part, closed or cut inside the file (no closing
   * boundary); the Content-Length matches what is sent.
   */
  const multipart = (method: string, path: string, filename: string, content: Buffer, fields: Record<string, string | undefined> = {}, closed = true) => {
    const body = Buffer.concat([
      ...Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => Buffer.from(`--B\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)),
      Buffer.from(`--B\r\nContent-Disposition: form-data; name="content"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      content,
      Buffer.from(closed ? '\r\n--B--\r\n' : ''),
    ]);
    return raw([head(`${method} ${path} HTTP/1.1`, { ...authHeaders(), 'Content-Type': 'multipart/form-data; boundary=B', 'Content-Length': body.length }), body]);
  };

  const CASES: Case[] = [
    // JSON:API bodies
    ['JSON:API body', 'a NUL in a name', () => product({ name: 'a\u0000b' })],
    ['JSON:API body', 'an unpaired surrogate in a name', () => json(admin().post(`${A}/products`), '{"data":{"type":"products","attributes":{"name":"\\ud800"}}}')],
    ['JSON:API body', 'bytes that are not UTF-8', () => json(admin().post(`${A}/products`), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('latin1'))],
    ['JSON:API body', 'a body that is not JSON', () => json(admin().post(`${A}/products`), '{"data":')],
    ['JSON:API body', 'a 2 MiB body', () => product({ name: 'x', metadata: { blob: 'x'.repeat(2 * 1024 * 1024) } })],
    ['JSON:API body', 'metadata nested 5,000 deep', () => json(admin().post(`${A}/products`), `{"data":{"type":"products","attributes":{"name":"d","metadata":${deep(5000)}}}}`)],
    ['JSON:API body', 'metadata over 16 KiB', () => product({ metadata: { blob: 'x'.repeat(17 * 1024) } })],
    ['JSON:API body', 'a __proto__ attribute', () => json(admin().post(`${A}/products`), '{"data":{"type":"products","attributes":{"name":"p","__proto__":{"admin":true}}}}')],
    ['JSON:API body', 'a mass-assigned accountId', () => product({ accountId: ids.other })],
    ['JSON:API body', 'a mass-assigned read-only status', () => json(admin().post(`${A}/artifacts`), doc('artifacts', { filename: 'x.bin', status: 'UPLOADED' }, { release: rel('releases', ids.release) }))],
    ['JSON:API body', 'a number where a string belongs', () => product({ name: 12 })],
    ['JSON:API body', 'an array as data on a create', () => json(admin().post(`${A}/products`), { data: [{ type: 'products', attributes: { name: 'p' } }] })],
    ['JSON:API body', 'the wrong resource type', () => json(admin().post(`${A}/products`), doc('releases', { name: 'p' }))],
    ['JSON:API body', 'a relationship to another account’s record', () => json(admin().post(`${A}/packages`), doc('packages', { name: 'p', key: 'p' }, { product: rel('products', ids.other) }))],
    ['JSON:API body', 'a number past the column range', () => json(admin().post(`${A}/policies`), doc('policies', { name: 'p', duration: 1e300 }, { product: rel('products', ids.product) }))],
    ['JSON:API body', 'a CRLF in an email', () => json(admin().post(`${A}/users`), doc('users', { email: 'a@b.test\r\nBcc: x@y.test', password: 'password-1' }))],
    ['JSON:API body', 'a text/plain body', () => admin().post(`${A}/products`).set('Content-Type', 'text/plain').send('{"data":{"type":"products","attributes":{"name":"p"}}}')],
    ['JSON:API body', 'a gzip bomb', () => admin().post(`${A}/products`).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(gzipSync(Buffer.alloc(64 * 1024 * 1024, 32)))],
    ['JSON:API body', 'a release version with traversal', () => release('../1.0.0')],
    ['JSON:API body', 'an overlong version', () => release(`1.0.0-${'a'.repeat(10_000)}`)],
    ['JSON:API body', 'a version with a NUL', () => release('1.0.0\u0000')],
    ['JSON:API body', 'an artifact filename with plain traversal', () => artifact('../../etc/passwd')],
    ['JSON:API body', 'an artifact filename that is ..', () => artifact('..')],
    ['JSON:API body', 'an artifact filename with a backslash', () => artifact('..\\..\\win.ini')],
    ['JSON:API body', 'an artifact filename with a NUL', () => artifact('a\u0000.bin')],
    ['JSON:API body', 'an artifact filename with an ESC', () => artifact('a\u001b[31m.bin')],
    ['JSON:API body', 'an artifact filename of 300 characters', () => artifact(`${'a'.repeat(296)}.bin`)],
    ['JSON:API body', 'an artifact filename with a right-to-left override', () => artifact('invoice\u202Efdp.exe')],
    ['JSON:API body', 'an artifact filename that is an object', () => artifact({ toString: 'x' })],
    ['JSON:API body', 'a checksum that is not a digest', () => json(admin().post(`${A}/artifacts`), doc('artifacts', { filename: 'c.bin', checksum: 'not-a-digest' }, { release: rel('releases', ids.release) }))],
    // Query parameters
    ['query', 'page[size]=1000', () => admin().get(`${A}/releases?page[size]=1000`)],
    ['query', 'page[number]=-1', () => admin().get(`${A}/releases?page[number]=-1`)],
    ['query', 'page[size]=1e309', () => admin().get(`${A}/releases?page[size]=1e309`)],
    ['query', 'an unknown filter', () => admin().get(`${A}/releases?owner=me`)],
    ['query', 'a NUL in a filter', () => admin().get(`${A}/artifacts?platform=%00`)],
    ['query', 'a filter given twice', () => admin().get(`${A}/releases?channel=stable&channel=beta`)],
    ['query', 'a channel that is a path', () => admin().get(`${A}/releases?channel=..%2F..%2Fetc`)],
    ['query', '1,000 entitlements[] values', () => admin().get(`${A}/releases?${Array.from({ length: 1000 }, (_, i) => `entitlements[]=E${i}`).join('&')}`)],
    ['query', 'an unparseable upgrade constraint', () => admin().get(`${A}/releases/${ids.release}/upgrade?constraint=%5E%5E1`)],
    ['query', 'order=sideways', () => admin().get(`${A}/releases?order=sideways`)],
    // JSON:API paths
    ['path', 'an id with an encoded NUL', () => admin().get(`${A}/releases/1%00`)],
    ['path', 'a broken percent-encoding', () => admin().get(`${A}/releases/%E0%A4%A`)],
    ['path', 'encoded traversal in an id', () => admin().get(`${A}/artifacts/..%2F..%2Fetc%2Fpasswd`)],
    ['path', 'double-encoded traversal in an id', () => admin().get(`${A}/artifacts/%252e%252e%252fetc`)],
    ['path', 'an id of 10,000 characters', () => admin().get(`${A}/releases/${'a'.repeat(10_000)}`)],
    ['path', 'an account with an encoded NUL', () => admin().get('/v1/accounts/ac%00me/releases')],
    // Generic paths
    ['generic path', 'a package named ..', () => generic('%2e%2e/1.0.0/a.bin')],
    ['generic path', 'a filename with an encoded slash', () => generic('tool/1.0.0/a%2Fb.bin')],
    ['generic path', 'a filename with an encoded backslash', () => generic('tool/1.0.0/..%5Cwin.ini')],
    ['generic path', 'a filename with an encoded NUL', () => generic('tool/1.0.0/a%00.bin')],
    ['generic path', 'a double-encoded traversal', () => generic('tool/1.0.0/%252e%252e%252fetc')],
    ['generic path', 'a version with encoded traversal', () => generic('tool/..%2F1.0.0/a.bin')],
    ['generic path', 'a version that is not semver', () => generic('tool/latest/a.bin')],
    ['generic path', 'a filename of 300 characters', () => generic(`tool/1.0.0/${'a'.repeat(296)}.bin`)],
    ['generic path', 'a filename that is not UTF-8', () => generic('tool/1.0.0/%FF%FE.bin')],
    ['generic path', 'a package name with a space', () => generic('my%20tool/1.0.0/a.bin')],
    ['generic path', 'an existing filename (no overwrite)', () => generic('tool/1.0.0/tool.bin', 'other bytes')],
    ['generic path', 'a body past the limit', () => generic('tool/1.0.0/big.bin', 'x'.repeat(LIMIT + 1))],
    [
      'generic path',
      'a chunked body past the limit',
      () =>
        raw([
          head(`PUT ${A}/engines/generic/tool/1.0.0/chunked.bin HTTP/1.1`, { ...authHeaders(), 'Transfer-Encoding': 'chunked' }),
          ...Array.from({ length: 5 }, () => `10000\r\n${'x'.repeat(0x10000)}\r\n`),
          '0\r\n\r\n',
        ]),
    ],
    ['generic path', 'a multipart body cut inside its file part', () => multipart('PUT', `${A}/engines/generic/tool/1.0.0/cut.bin`, 'cut.bin', Buffer.alloc(4096, 7), {}, false)],
    ['generic path', 'a Content-Length past the limit (nothing sent)', () => raw([head(`PUT ${A}/engines/generic/tool/1.0.0/lie.bin HTTP/1.1`, { ...authHeaders(), 'Content-Length': LIMIT * 4 })])],
    // PyPI upload fields and filenames
    ['PyPI upload', 'a wrong sha256_digest', () => wheelUpload('2.0.0', { sha256_digest: '0'.repeat(64) })],
    ['PyPI upload', 'a wrong md5_digest', () => wheelUpload('2.0.1', { md5_digest: '0'.repeat(32) })],
    ['PyPI upload', 'a wrong blake2_256_digest', () => wheelUpload('2.0.2', { blake2_256_digest: '0'.repeat(64) })],
    ['PyPI upload', 'a zip bomb', () => wheelUpload('2.0.3', {}, { metadata: `${coreMetadata('demo', '2.0.3')}${'x'.repeat(64 * 1024 * 1024)}` })],
    ['PyPI upload', 'a wheel without METADATA', () => wheelUpload('2.0.4', {}, { metadata: null })],
    ['PyPI upload', 'a wheel that is no zip', () => twine(wheelName('demo', '2.0.5'), Buffer.from('PK\u0003\u0004 broken'), twineFields('demo', '2.0.5', Buffer.from('PK\u0003\u0004 broken'), 'bdist_wheel'))],
    ['PyPI upload', 'a truncated zip', () => twine(wheelName('demo', '2.0.6'), wheel('demo', '2.0.6').subarray(0, 100), twineFields('demo', '2.0.6', wheel('demo', '2.0.6').subarray(0, 100), 'bdist_wheel'))],
    ['PyPI upload', 'METADATA naming another project', () => wheelUpload('2.0.7', {}, { metadata: coreMetadata('someone-else', '2.0.7') })],
    ['PyPI upload', 'a filename naming another project', () => twine(wheelName('other', '2.0.8'), wheel('demo', '2.0.8'), twineFields('demo', '2.0.8', wheel('demo', '2.0.8'), 'bdist_wheel'))],
    ['PyPI upload', 'a filename with traversal', () => twine('..demo-2.0.9-py3-none-any.whl', wheel('demo', '2.0.9'), twineFields('demo', '2.0.9', wheel('demo', '2.0.9'), 'bdist_wheel'))],
    ['PyPI upload', 'a filename with a directory', () => multipart('POST', `${A}/engines/pypi`, `sub/${wheelName('demo', '2.2.0')}`, wheel('demo', '2.2.0'), twineFields('demo', '2.2.0', wheel('demo', '2.2.0'), 'bdist_wheel'))],
    ['PyPI upload', 'a filename with a Windows directory', () => twine('sub\\demo-2.2.1-py3-none-any.whl', wheel('demo', '2.2.1'), twineFields('demo', '2.2.1', wheel('demo', '2.2.1'), 'bdist_wheel'))],
    ['PyPI upload', 'a multipart body cut inside its file part', () => multipart('POST', `${A}/engines/pypi`, wheelName('demo', '2.2.2'), Buffer.alloc(4096, 7), twineFields('demo', '2.2.2', Buffer.alloc(4096, 7), 'bdist_wheel'), false)],
    ['PyPI upload', 'an undecodable project in the simple path', () => admin().get(`${A}/engines/pypi/simple/%FF/`)],
    ['PyPI upload', 'a filename with a control character', () => twine('demo-2.1.0\u0007-py3-none-any.whl', wheel('demo', '2.1.0'), twineFields('demo', '2.1.0', wheel('demo', '2.1.0'), 'bdist_wheel'))],
    ['PyPI upload', 'a filename of 300 characters', () => twine(`demo-2.1.1-${'a'.repeat(280)}-none-any.whl`, wheel('demo', '2.1.1'), twineFields('demo', '2.1.1', wheel('demo', '2.1.1'), 'bdist_wheel'))],
    ['PyPI upload', 'an epoch version', () => wheelUpload('1!2.1.2')],
    ['PyPI upload', 'a local version', () => wheelUpload('2.1.3+local')],
    ['PyPI upload', 'a NUL in the name field', () => twine(wheelName('demo', '2.1.4'), wheel('demo', '2.1.4'), twineFields('demo\u0000', '2.1.4', wheel('demo', '2.1.4'), 'bdist_wheel'))],
    ['PyPI upload', 'an unknown :action', () => wheelUpload('2.1.5', { ':action': 'remove_pkg' })],
    ['PyPI upload', 'protocol_version 2', () => wheelUpload('2.1.6', { protocol_version: '2' })],
    ['PyPI upload', 'no content part', () => admin().post(`${A}/engines/pypi`).field('name', 'demo').field('version', '2.1.7')],
    ['PyPI upload', 'a file past the limit', () => wheelUpload('2.1.8', {}, { extra: { 'demo/big.bin': Buffer.alloc(LIMIT * 2, 7) }, level: 0 })],
    ['PyPI upload', 'a body that is not multipart', () => admin().post(`${A}/engines/pypi`).set('Content-Type', 'application/json').send('{"name":"demo"}')],
    ['PyPI upload', 'an existing filename with other bytes', () => twine(wheelName('demo', '1.0.0'), wheel('demo', '1.0.0', { requiresPython: '>=3.8' }), twineFields('demo', '1.0.0', wheel('demo', '1.0.0', { requiresPython: '>=3.8' }), 'bdist_wheel'))],
    // Tauri query
    ['Tauri query', 'no platform', () => admin().get(`${A}/engines/tauri/desk?arch=x86_64&version=1.0.0`)],
    ['Tauri query', 'a platform with a NUL', () => admin().get(`${A}/engines/tauri/desk?platform=linux%00&arch=x86_64&version=1.0.0`)],
    ['Tauri query', 'an arch given twice', () => admin().get(`${A}/engines/tauri/desk?platform=linux&arch=x86_64&arch=aarch64&version=1.0.0`)],
    ['Tauri query', 'an unknown channel', () => admin().get(`${A}/engines/tauri/desk?platform=linux&arch=x86_64&version=1.0.0&channel=..%2F`)],
    ['Tauri query', 'an unparseable constraint', () => admin().get(`${A}/engines/tauri/desk?platform=linux&arch=x86_64&version=1.0.0&constraint=%3E%3E%3E`)],
    // Headers and framing
    ['headers', 'a 20 KiB bearer token', () => t.as(`Bearer admin_${'a'.repeat(20 * 1024)}`).get(`${A}/products`)],
    ['headers', 'Basic credentials that are not base64', () => t.as('Basic !!!not-base64!!!').get(`${A}/products`)],
    ['headers', 'an unknown Authorization scheme', () => t.as('Digest username="admin"').get(`${A}/products`)],
    ['headers', 'a NUL in a header value', () => raw([`GET ${A}/products HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer a\u0000b\r\n\r\n`])],
    ['headers', 'HTTP/1.1 without a Host header', () => raw([`GET ${A}/products HTTP/1.1\r\nAuthorization: ${auth}\r\n\r\n`])],
    ['headers', 'a 100 KiB header', () => raw([head(`GET ${A}/products HTTP/1.1`, { Host: '127.0.0.1', 'X-Padding': 'x'.repeat(100 * 1024) })])],
    ['headers', 'Content-Length and Transfer-Encoding together', () => raw([head(`POST ${A}/products HTTP/1.1`, { ...authHeaders(), 'Content-Type': 'application/json', 'Content-Length': 5, 'Transfer-Encoding': 'chunked' }), '0\r\n\r\n'])],
    ['headers', 'two different Content-Lengths', () => raw([`POST ${A}/products HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}`])],
    ['headers', 'a Content-Length shorter than the JSON sent', () => raw([head(`POST ${A}/products HTTP/1.1`, { ...authHeaders(), 'Content-Type': 'application/json', 'Content-Length': 10 }), JSON.stringify(doc('products', { name: 'short' }))])],
    ['headers', 'a Content-Length past the JSON limit', () => raw([head(`POST ${A}/products HTTP/1.1`, { ...authHeaders(), 'Content-Type': 'application/json', 'Content-Length': 50 * 1024 * 1024 }), '{"data":'])],
    ['headers', 'an unsatisfiable Range on a download', async () => {
      const link = await admin().get(`${A}/artifacts/${ids.downloaded}`).set('Prefer', 'no-redirect');
      // Asking for the link counts a download, which the footprint leaves out by design.
      return t.http.get(localPath(link.headers.location)).set('Range', 'bytes=5000-6000');
    }],
    // The signed upload URL
    ['upload URL', 'a Content-Length past the limit (nothing sent)', () => raw([head(`PUT ${ids.upload} HTTP/1.1`, { Host: '127.0.0.1', 'Content-Length': LIMIT * 4 })])],
    ['upload URL', 'a chunked body past the limit', () => raw([head(`PUT ${ids.upload} HTTP/1.1`, { Host: '127.0.0.1', 'Transfer-Encoding': 'chunked' }), ...Array.from({ length: 5 }, () => `10000\r\n${'x'.repeat(0x10000)}\r\n`), '0\r\n\r\n'])],
    ['upload URL', 'a forged signature', () => t.http.put(ids.upload.replace(/signature=[^&]+/, `signature=${'0'.repeat(64)}`)).send('forged')],
    ['upload URL', 'an upload URL of another artifact id', () => t.http.put(ids.upload.replace(ids.artifact, ids.downloaded)).send('swapped')],
  ];

  it(`holds at least 60 cases over every surface`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map(([surface]) => surface))).toEqual(new Set(['JSON:API body', 'query', 'path', 'generic path', 'PyPI upload', 'Tauri query', 'headers', 'upload URL']));
  });

  it.each(CASES)('%s: %s → 4xx, nothing changed', async (_surface, _name, send) => {
    const before = await footprint(t);
    const { status } = await send();
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(await footprint(t)).toEqual(before);
  });
});
