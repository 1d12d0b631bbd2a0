import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { footprint, genericUrl } from '../support/generic.js';
import { binary, randomFile, sha256 } from '../support/upload.js';

/** The generic registry (SPEC §6.3): every route, the bodies it takes, names, duplicates and limits. */
describe('generic registry: routes, bodies and names', () => {
  const MAX = 64 * 1024;
  let t: TestApp;
  let acme: TestAccount;
  let appId: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const url = (...segments: string[]) => genericUrl(acme, ...segments);
  const put = (path: string, bytes: Buffer | string, contentType = 'application/octet-stream') => admin().put(path).set('Content-Type', contentType).send(bytes);
  const fetchBytes = (path: string, headers: Record<string, string> = {}) => admin().get(path).set(headers).buffer(true).parse(binary as never);
  const events = async (resourceId: string) =>
    (await t.db.query('SELECT event FROM event_logs WHERE resource_id = $1 ORDER BY created_at, event', [resourceId])).map((e: { event: string }) => e.event);

  beforeAll(async () => {
    t = await startApp({ MAX_UPLOAD_BYTES: String(MAX), SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    appId = (await catalog(t, acme).product({ name: 'App', code: 'app' })).id;
  });
  afterAll(() => t.close());

  describe('PUT, GET, HEAD', () => {
    const content = randomFile(5000);
    let artifactId: string;

    it('PUT answers 201 with the artifact document; the package and a PUBLISHED release on the pre-release channel are created', async () => {
      const res = await put(url('cli', '2.0.0-beta.1', 'cli-linux.tar.gz') + '?product=app', content).expect(201);
      artifactId = res.body.data.id;
      expect(res.headers.location).toBe(`${acme.base}/artifacts/${artifactId}`);
      expect(res.headers['content-type']).toContain('application/vnd.api+json');
      expect(res.body.data).toMatchObject({ type: 'artifacts', attributes: { filename: 'cli-linux.tar.gz', filetype: 'gz', filesize: 5000, status: 'UPLOADED', sha256: sha256(content), downloads: 0 } });
      const pkg = (await admin().get(`${acme.base}/packages/cli`).expect(200)).body.data;
      expect(pkg.attributes).toMatchObject({ key: 'cli', engine: 'generic' });
      expect(pkg.relationships.product.data.id).toBe(appId);
      const release = (await admin().get(`${acme.base}/releases/${res.body.data.relationships.release.data.id}`).expect(200)).body.data;
      expect(release.attributes).toMatchObject({ version: '2.0.0-beta.1', channel: 'beta', status: 'PUBLISHED' });
      expect(await events(artifactId)).toEqual(['artifact.created', 'artifact.uploaded']);
      expect(await events(release.id)).toEqual(['release.created', 'release.published']);
    });

    it('GET serves the bytes with Content-Length, a strong ETag and Content-Disposition: attachment, and counts the download', async () => {
      const res = await fetchBytes(url('cli', '2.0.0-beta.1', 'cli-linux.tar.gz')).expect(200);
      expect(Buffer.compare(res.body, content)).toBe(0);
      expect(res.headers).toMatchObject({
        'content-length': '5000',
        etag: `"${sha256(content)}"`,
        'content-type': 'application/octet-stream',
        'accept-ranges': 'bytes',
      });
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="cli-linux\.tar\.gz"/);
      const shown = await admin().get(`${acme.base}/artifacts/${artifactId}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes.downloads).toBe(1);
      expect(await events(artifactId)).toContain('artifact.downloaded');
    });

    it('serves single and suffix ranges, 416 past the end, and 304 for the ETag; HEAD answers like GET and counts nothing', async () => {
      const path = url('cli', '2.0.0-beta.1', 'cli-linux.tar.gz');
      const first = await fetchBytes(path, { Range: 'bytes=0-99' }).expect(206);
      expect(first.headers['content-range']).toBe('bytes 0-99/5000');
      expect(Buffer.compare(first.body, content.subarray(0, 100))).toBe(0);
      const suffix = await fetchBytes(path, { Range: 'bytes=-10' }).expect(206);
      expect(Buffer.compare(suffix.body, content.subarray(4990))).toBe(0);
      const beyond = await admin().get(path).set('Range', 'bytes=6000-7000').expect(416);
      expect(beyond.headers['content-range']).toBe('bytes */5000');
      await admin().get(path).set('If-None-Match', `"${sha256(content)}"`).expect(304);
      const before = (await admin().get(`${acme.base}/artifacts/${artifactId}`).set('Prefer', 'no-download')).body.data.attributes.downloads;
      const head = await admin().head(path).expect(200);
      expect(head.headers['content-length']).toBe('5000');
      expect(head.headers.etag).toBe(`"${sha256(content)}"`);
      const after = (await admin().get(`${acme.base}/artifacts/${artifactId}`).set('Prefer', 'no-download')).body.data.attributes.downloads;
      expect(after).toBe(before);
    });

    it('lists a package\'s versions and a version\'s files as JSON:API lists', async () => {
      await put(url('cli', '2.0.0', 'cli-linux.tar.gz'), randomFile(10)).expect(201);
      await put(url('cli', '2.0.0', 'cli-macos.tar.gz'), randomFile(10)).expect(201);
      const versions = await admin().get(url('cli')).expect(200);
      expect(versions.body.data.map((r: { attributes: { version: string } }) => r.attributes.version).sort()).toEqual(['2.0.0', '2.0.0-beta.1']);
      expect(versions.body.meta).toEqual({ pages: 1, count: 2 });
      const files = await admin().get(url('cli', '2.0.0') + '?page[size]=1').expect(200);
      expect(files.body.data[0].type).toBe('artifacts');
      expect(files.body.meta).toEqual({ pages: 2, count: 2 });
      expect(files.body.links.next).toContain('page[number]=2');
      await admin().get(url('cli') + '?color=red').expect(400);
      await admin().get(url('nope')).expect(404);
      await admin().get(url('cli', '9.9.9')).expect(404);
    });
  });

  it('documents its routes in the OpenAPI document', async () => {
    const spec = (await t.http.get('/openapi.json').expect(200)).body;
    const file = spec.paths['/v1/accounts/{account}/engines/generic/{package}/{version}/{filename}'];
    expect(Object.keys(file).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(file.put.requestBody.content).sort()).toEqual(['application/octet-stream', 'multipart/form-data']);
    expect(Object.keys(spec.paths['/v1/accounts/{account}/engines/generic/{package}/{version}']).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(spec.paths['/v1/accounts/{account}/engines/generic/{package}'])).toEqual(['get']);
  });

  describe('bodies', () => {
    it.each([
      ['application/json', '{"not": "parsed"'],
      ['application/vnd.api+json', '{"data":{"type":"products"}}'],
      ['application/x-www-form-urlencoded', 'a=1&b=%20two&c'],
      ['text/plain; charset=utf-8', 'plain text\r\n'],
    ])('stores a %s body byte for byte', async (contentType, text) => {
      const res = await put(url('bodies', '1.0.0', `${sha256(Buffer.from(contentType)).slice(0, 8)}.txt`) + '?product=app', text, contentType).expect(201);
      expect(res.body.data.attributes.sha256).toBe(sha256(Buffer.from(text)));
      const served = await fetchBytes(url('bodies', '1.0.0', res.body.data.attributes.filename)).expect(200);
      expect(served.body.toString()).toBe(text);
    });

    it('takes the first file part of a multipart/form-data body, streamed', async () => {
      const first = randomFile(3000);
      const res = await admin()
        .put(url('forms', '1.0.0', 'first.bin') + '?product=app')
        .field('note', 'a field before the file')
        .attach('file', first, 'upload.bin')
        .attach('second', randomFile(100), 'second.bin')
        .expect(201);
      expect(res.body.data.attributes).toMatchObject({ filename: 'first.bin', filesize: 3000, sha256: sha256(first) });
    });

    it('refuses a form without a file part, or a broken one, with 400 and writes nothing', async () => {
      const before = await footprint(t);
      const none = await admin().put(url('forms', '1.0.0', 'none.bin')).field('note', 'no file').expect(400);
      expect(none.body.errors[0].code).toBe('FILE_MISSING');
      await put(url('forms', '1.0.0', 'broken.bin'), 'no boundary', 'multipart/form-data').expect(400);
      expect(await footprint(t)).toEqual(before);
    });

    it('answers 413 past MAX_UPLOAD_BYTES — declared, chunked or in a form — and keeps nothing', async () => {
      const before = await footprint(t);
      const declared = await put(url('big', '1.0.0', 'big.bin') + '?product=app', randomFile(MAX + 1)).expect(413);
      expect(declared.body.errors[0].code).toBe('PAYLOAD_TOO_LARGE');
      await admin().put(url('big', '1.0.0', 'form.bin') + '?product=app').attach('file', randomFile(MAX + 1), 'f.bin').expect(413);
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: url('big', '1.0.0', 'chunked.bin') + '?product=app', headers: { Authorization: bearer(acme.adminToken) } }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        });
        req.on('error', reject);
        req.setHeader('Transfer-Encoding', 'chunked');
        for (let i = 0; i < 3; i += 1) req.write(randomFile(MAX / 2));
        req.end();
      });
      expect(chunked).toBe(413);
      expect(await footprint(t)).toEqual(before);
    });
  });

  it.each([
    ['a raw body', 'application/octet-stream', (bytes: Buffer) => bytes],
    ['a form', 'multipart/form-data; boundary=xyz', (bytes: Buffer) => Buffer.concat([Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n'), bytes])],
  ])('a client that goes away in the middle of %s leaves no row and no file', async (_, contentType, frame) => {
    const before = await footprint(t);
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: url('dropped', '1.0.0', 'dropped.bin') + '?product=app',
        headers: { Authorization: bearer(acme.adminToken), 'Content-Type': contentType, 'Content-Length': String(MAX - 1) },
      });
      req.on('error', () => resolve());
      req.write(frame(randomFile(MAX / 2)), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await footprint(t)).toEqual(before);
  });

  describe('duplicates', () => {
    it('matches names and filenames case-insensitively, keeps the first spelling, and never overwrites (409)', async () => {
      const original = Buffer.from('original bytes');
      await put(url('Tool', '1.0.0', 'App.bin') + '?product=app', original).expect(201);
      const before = await footprint(t);
      const taken = await put(url('TOOL', '1.0.0', 'app.BIN'), 'other bytes').expect(409);
      expect(taken.body.errors[0].code).toBe('FILENAME_TAKEN');
      await put(url('tool', '1.0.0', 'App.bin'), original).expect(409);
      expect(await footprint(t)).toEqual(before);
      await put(url('tool', '1.0.0', 'second.bin'), 'x').expect(201);
      expect((await admin().get(`${acme.base}/packages/tool`).expect(200)).body.data.attributes.key).toBe('Tool');
      const served = await fetchBytes(url('tOOl', '1.0.0', 'APP.BIN')).expect(200);
      expect(served.body.toString()).toBe('original bytes');
      expect(served.headers['content-disposition']).toMatch(/filename="App\.bin"/);
    });

    it('races 20 PUTs of one path: one 201, the rest 409, never a 5xx, and the winner\'s bytes are served', async () => {
      const before = await footprint(t);
      const bodies = Array.from({ length: 20 }, (_, i) => Buffer.from(`racer ${i} `.repeat(200)));
      const results = await Promise.all(bodies.map((body) => put(url('racy', '3.1.4', 'race.bin') + '?product=app', body)));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      const winner = results.find((r) => r.status === 201)!;
      const served = await fetchBytes(url('racy', '3.1.4', 'race.bin')).expect(200);
      expect(sha256(served.body)).toBe(winner.body.data.attributes.sha256);
      const after = await footprint(t);
      expect(after).toEqual({ packages: before.packages + 1, releases: before.releases + 1, artifacts: before.artifacts + 1, blobs: before.blobs + 1 });
    });
  });

  describe('deletes', () => {
    it('DELETE of a file removes it and its bytes; deleting the version\'s last file deletes the version, not the package', async () => {
      await put(url('gone', '1.0.0', 'a.bin') + '?product=app', 'a').expect(201);
      const b = await put(url('gone', '1.0.0', 'b.bin'), 'b').expect(201);
      const releaseId = b.body.data.relationships.release.data.id;
      const before = await footprint(t);
      await admin().delete(url('gone', '1.0.0', 'A.BIN')).expect(204);
      expect(await footprint(t)).toEqual({ ...before, artifacts: before.artifacts - 1, blobs: before.blobs - 1 });
      await admin().get(url('gone', '1.0.0', 'a.bin')).expect(404);
      await admin().get(url('gone', '1.0.0')).expect(200);
      await admin().delete(url('gone', '1.0.0', 'b.bin')).expect(204);
      await admin().get(url('gone', '1.0.0')).expect(404);
      expect(await events(releaseId)).toContain('release.deleted');
      expect(await events(b.body.data.id)).toContain('artifact.deleted');
      const versions = await admin().get(url('gone')).expect(200);
      expect(versions.body.data).toEqual([]);
      await admin().delete(url('gone', '1.0.0', 'b.bin')).expect(404);
      await put(url('gone', '1.0.0', 'b.bin'), 'again').expect(201);
    });

    it('DELETE of a version deletes it and all its files and bytes', async () => {
      await put(url('whole', '1.0.0', 'a.bin') + '?product=app', 'a').expect(201);
      await put(url('whole', '1.0.0', 'b.bin'), 'b').expect(201);
      await put(url('whole', '1.1.0', 'a.bin'), 'newer').expect(201);
      const before = await footprint(t);
      await admin().delete(url('whole', '1.0.0')).expect(204);
      expect(await footprint(t)).toEqual({ ...before, releases: before.releases - 1, artifacts: before.artifacts - 2, blobs: before.blobs - 2 });
      await admin().get(url('whole', '1.0.0', 'a.bin')).expect(404);
      await admin().get(url('whole', '1.1.0', 'a.bin')).expect(200);
      await admin().delete(url('whole', '1.0.0')).expect(404);
      await admin().delete(url('whole', '1.0.0') + '?force=1').expect(400);
    });

    it('races PUTs of new files against deletes of their version: never a 5xx, and every row has its bytes', async () => {
      await put(url('churn', '1.0.0', 'seed.bin') + '?product=app', 'seed').expect(201);
      for (let round = 0; round < 8; round += 1) {
        const results = await Promise.all([
          put(url('churn', '1.0.0', `r${round}-a.bin`), `a${round}`),
          admin().delete(url('churn', '1.0.0')),
          put(url('churn', '1.0.0', `r${round}-b.bin`), `b${round}`),
          admin().delete(url('churn', '1.0.0', `r${round - 1}-b.bin`)),
        ]);
        for (const res of results) expect([201, 204, 404]).toContain(res.status);
      }
      const rows: { n: number }[] = await t.db.query(`SELECT count(*)::int AS n FROM artifacts a JOIN releases r ON r.id = a.release_id JOIN packages p ON p.id = r.package_id WHERE p.key = 'churn'`);
      const files = (await admin().get(url('churn', '1.0.0') + '?page[size]=100')).body.data ?? [];
      expect(files).toHaveLength(rows[0].n);
      for (const file of files) await admin().get(url('churn', '1.0.0', file.attributes.filename)).expect(200);
      const all = await footprint(t);
      expect(all.blobs).toBe(all.artifacts);
    });
  });
});
