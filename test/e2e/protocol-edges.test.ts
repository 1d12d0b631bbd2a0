import type { AddressInfo } from 'node:net';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { genericUrl } from '../support/generic.js';
import { twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { rawExchange } from '../support/raw-http.js';
import { binary, localPath, sha256 } from '../support/upload.js';

/**
 * HTTP details every route shares: conditional GETs (RFC 9110 §13.1.2), what an error may echo
 * of the request, URLs emitted for a request without a Host, and paths that cannot be decoded.
 */
describe('protocol edges', () => {
  let t: TestApp;
  let acme: TestAccount;
  let productAuth: string;
  let port: number;
  const admin = () => t.as(bearer(acme.adminToken));
  const content = Buffer.from('generic file bytes');
  const etag = `"${sha256(content)}"`;
  let wheelUrl: string;

  beforeAll(async () => {
    t = await startApp({ PYPI_UPSTREAM_URL: '' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    productAuth = basic('__token__', await c.token(`products/${product.id}`));
    await admin().put(`${genericUrl(acme, 'tool', '1.0.0', 'tool.bin')}?product=app`).set('Content-Type', 'application/octet-stream').send(content).expect(201);
    const bytes = wheel('demo', '1.0');
    const res = await twineForm(t.as(productAuth).post(`${acme.base}/engines/pypi/`), { filename: wheelName('demo', '1.0'), bytes }, twineFields('demo', '1.0', bytes, 'bdist_wheel'));
    expect(res.status).toBe(201);
    const page = await t.as(productAuth).get(`${acme.base}/engines/pypi/simple/demo/`).expect(200);
    wheelUrl = /href="([^"#]+)/.exec(page.text)![1].replace(/&amp;/g, '&');
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /** One request on a raw socket, as written; the whole answer as text. */
  const raw = (head: string) => rawExchange(port, head);

  describe('If-None-Match: lists, weak comparison and * (RFC 9110 §13.1.2)', () => {
    const conditions = (tag: string) => [`"other", ${tag}`, `W/${tag}`, `"a",W/${tag} , "b"`, '*'];

    it.each(conditions(etag))('generic file download, If-None-Match: %s → 304', async (header) => {
      const res = await admin().get(genericUrl(acme, 'tool', '1.0.0', 'tool.bin')).set('If-None-Match', header);
      expect(res.status).toBe(304);
      expect(res.headers.etag).toBe(etag);
    });

    it('generic file download: a list without the tag gets the bytes', async () => {
      const res = await admin().get(genericUrl(acme, 'tool', '1.0.0', 'tool.bin')).set('If-None-Match', '"a", W/"b"').buffer(true).parse(binary as never);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(content.toString());
    });

    it('If-Range with a weak tag sends the whole file (strong comparison, §13.1.5)', async () => {
      const whole = await admin().get(genericUrl(acme, 'tool', '1.0.0', 'tool.bin')).set('Range', 'bytes=0-3').set('If-Range', `W/${etag}`).buffer(true).parse(binary as never);
      expect(whole.status).toBe(200);
      const part = await admin().get(genericUrl(acme, 'tool', '1.0.0', 'tool.bin')).set('Range', 'bytes=0-3').set('If-Range', etag).buffer(true).parse(binary as never);
      expect(part.status).toBe(206);
    });

    it('PyPI project page and wheel metadata honour the same forms', async () => {
      const page = await t.as(productAuth).get(`${acme.base}/engines/pypi/simple/demo/`).expect(200);
      for (const header of conditions(page.headers.etag)) {
        expect((await t.as(productAuth).get(`${acme.base}/engines/pypi/simple/demo/`).set('If-None-Match', header)).status).toBe(304);
      }
      const metadata = await t.as(productAuth).get(localPath(`${wheelUrl}.metadata`)).expect(200);
      for (const header of conditions(metadata.headers.etag)) {
        expect((await t.as(productAuth).get(localPath(`${wheelUrl}.metadata`)).set('If-None-Match', header)).status).toBe(304);
      }
      expect((await t.as(productAuth).get(localPath(`${wheelUrl}.metadata`)).set('If-None-Match', '"nope"')).status).toBe(200);
    });
  });

  describe('what an error echoes of the request', () => {
    it('a twine upload with a huge version: a short reason phrase and a bounded body', async () => {
      const bytes = Buffer.from('sdist');
      const version = '9'.repeat(3000) + 'x';
      const res = await twineForm(t.as(productAuth).post(`${acme.base}/engines/pypi/`), { filename: 'huge-1.0.tar.gz', bytes }, twineFields('huge', version, bytes, 'sdist'));
      expect(res.status).toBe(400);
      const reason = (res as unknown as { res: { statusMessage: string } }).res.statusMessage;
      expect(reason.length).toBeLessThanOrEqual(200);
      expect(reason).toMatch(/\.\.\.$/);
      expect(res.text.length).toBeLessThanOrEqual(600);
    });

    it('a JSON:API error quoting a huge query parameter: detail and source are bounded', async () => {
      const res = await admin().get(`${acme.base}/products?${'k'.repeat(8000)}=1`);
      expect(res.status).toBe(400);
      const [error] = res.body.errors;
      expect(error.code).toBe('PARAMETER_UNPERMITTED');
      expect(error.detail.length).toBeLessThanOrEqual(500);
      expect(error.detail).toMatch(/\.\.\.$/);
      expect(error.source.parameter.length).toBeLessThanOrEqual(200);
    });

    it('a control character in an echoed filename never reaches the status line raw', async () => {
      const bytes = Buffer.from('sdist');
      const answer = await raw(
        `POST ${acme.base}/engines/pypi/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${productAuth}\r\nConnection: close\r\n` +
          `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${200 + bytes.length}\r\n\r\n` +
          `--b\r\nContent-Disposition: form-data; name="content"; filename="a\u0001b\u007f-1.0.tar.gz"\r\n\r\n${bytes}\r\n--b--\r\n`.padEnd(200 + bytes.length, ' '),
      );
      const statusLine = answer.split('\r\n')[0];
      expect(statusLine).toMatch(/^HTTP\/1\.1 400 /);
      expect(statusLine).not.toMatch(/[\u0000-\u001f\u007f]/);
    });
  });

  describe('requests without a Host header (HTTP/1.0)', () => {
    it('PyPI pages point at the address the server was reached on, never "undefined"', async () => {
      const answer = await raw(`GET ${acme.base}/engines/pypi/simple/demo/ HTTP/1.0\r\nAuthorization: ${productAuth}\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 200/);
      expect(answer).not.toContain('undefined');
      expect(answer).toContain(`href="http://127.0.0.1:${port}/v1/accounts/`);
    });

    it('a Host that is not a host name is not echoed into URLs', async () => {
      const answer = await raw(`GET ${acme.base}/engines/pypi/simple/demo/ HTTP/1.1\r\nHost: evil.test/"><x\r\nAuthorization: ${productAuth}\r\nConnection: close\r\n\r\n`);
      expect(answer).not.toContain('evil.test');
    });
  });

  describe('the PyPI engine record is JSON:API; the protocol routes under it speak PyPI (SPEC §3.3, §6.1)', () => {
    it.each(['/engines/pypi', '/engines/pypi/'])('GET %s: errors are JSON:API, the challenge Bearer', async (suffix) => {
      const unknown = await t.as(null).get(`${acme.base}${suffix}`).expect(404);
      expect(unknown.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
      expect(unknown.body.errors[0].code).toBe('NOT_FOUND');
      const refused = await t.as(bearer('nonsense-token')).get(`${acme.base}${suffix}`).expect(401);
      expect(refused.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer /);
      const record = await admin().get(`${acme.base}${suffix}`).expect(200);
      expect(record.body.data).toMatchObject({ type: 'engines', attributes: { key: 'pypi' } });
    });

    it('GET /engines/generic and /engines/pypi answer errors alike', async () => {
      const [generic, pypi] = await Promise.all([t.as(null).get(`${acme.base}/engines/generic`), t.as(null).get(`${acme.base}/engines/pypi`)]);
      expect(pypi.status).toBe(generic.status);
      expect(pypi.headers['content-type']).toBe(generic.headers['content-type']);
      expect(pypi.headers['www-authenticate']).toBe(generic.headers['www-authenticate']);
    });

    it('twine\'s upload to the same URL, and a method it does not take, stay PyPI text', async () => {
      const upload = await t.as(null).post(`${acme.base}/engines/pypi`).field('name', 'x');
      expect(upload.status).toBe(401);
      expect(upload.headers['content-type']).toMatch(/^text\/plain/);
      expect(upload.headers['www-authenticate']).toMatch(/^Basic /);
      const product = await t.as(null).get(`${acme.base}/products/app/engines/pypi/simple/`);
      expect(product.headers['content-type']).toMatch(/^text\/plain/);
      const other = await t.as(null).delete(`${acme.base}/engines/pypi`).expect(405);
      expect(other.headers['content-type']).toMatch(/^text\/plain/);
    });
  });

  describe('requests the HTTP parser refuses answer in the style of their route (SPEC §1.3)', () => {
    /** Writes `text`, half-closes when `halfClose`, and reads the answer to the end. */
    const refused = (text: string, halfClose: boolean) => rawExchange(port, text, { halfClose });
    const contentType = (answer: string) => /\r\nContent-Type: ([^\r]+)/i.exec(answer)?.[1];

    it('a twine upload cut short by a half-close: a plain-text 400', async () => {
      const answer = await refused(
        `POST ${acme.base}/engines/pypi/ HTTP/1.1\r\nHost: x\r\nAuthorization: ${productAuth}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n--b\r\n`,
        true,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(contentType(answer)).toMatch(/^text\/plain/);
      expect(answer).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
    });

    it.each([
      ['PyPI simple index', '/engines/pypi/simple/', /^text\/plain/],
      ['Tauri', '/engines/tauri/app?platform=linux&arch=x86_64&version=1.0.0', /^application\/json/],
      ['the PyPI engine record', '/engines/pypi', /^application\/vnd\.api\+json/],
      ['JSON:API', '/products', /^application\/vnd\.api\+json/],
    ])('%s: an oversized head gets 431 in that style', async (_, suffix, type) => {
      const answer = await refused(`GET ${acme.base}${suffix} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, false);
      expect(answer).toMatch(/^HTTP\/1\.1 431 /);
      expect(contentType(answer)).toMatch(type);
    });
  });

  describe('paths that cannot be percent-decoded', () => {
    it.each(['/engines/pypi/simple/%FF/', '/engines/pypi/simple/%E0%A4%A/', '/engines/pypi/%FF', '/products/%FF/engines/pypi/simple/demo/'])('PyPI %s: a plain-text 4xx', async (suffix) => {
      const res = await t.as(productAuth).get(`${acme.base}${suffix}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    });

    it('Tauri: a plain JSON 4xx', async () => {
      const res = await t.as(null).get(`${acme.base}/engines/tauri/%FF?platform=linux&arch=x86_64&version=1.0.0`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    it('elsewhere: a JSON:API 4xx', async () => {
      const res = await admin().get(`${acme.base}/products/%FF`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
    });
  });
});
