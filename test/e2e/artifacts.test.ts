import { existsSync } from 'node:fs';
import { readdir, utimes, writeFile, mkdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { binary, localPath, putBytes, randomFile, sha256 } from '../support/upload.js';
import type { Request } from 'express';
import { SignedUrls } from '../../src/storage/signed-urls.js';
import { StorageSweeper } from '../../src/storage/storage-sweeper.js';

describe('artifacts: create, upload, download (SPEC §3.5, §7) on the filesystem driver', () => {
  let t: TestApp;
  let acme: TestAccount;
  let c: ReturnType<typeof catalog>;
  let releaseId: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const releaseRel = (id: string) => ({ release: { data: { type: 'releases', id } } });
  const MAX = 256 * 1024;

  const newRelease = async (version: string, productId: string, attributes: Record<string, unknown> = {}) => {
    const res = await admin()
      .post(`${acme.base}/releases`)
      .send(doc('releases', { version, channel: 'stable', ...attributes }, { product: { data: { type: 'products', id: productId } } }))
      .expect(201);
    return res.body.data.id as string;
  };
  const newArtifact = async (release: string, attributes: Record<string, unknown>) => {
    const res = await admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', attributes, releaseRel(release))).expect(200);
    return { id: res.body.data.id as string, upload: res.headers.location as string, body: res.body };
  };
  /** The files under the account's blob directory that belong to an artifact. */
  const blobsOf = async (artifactId: string) =>
    (await readdir(join(t.config.dataDir, 'storage', 'blobs', acme.id)).catch(() => [] as string[])).filter((name) => name.startsWith(`${artifactId}.`));
  const uploaded = async (release: string, filename: string, bytes: Buffer) => {
    const artifact = await newArtifact(release, { filename, checksum: sha256(bytes), filesize: bytes.length });
    await putBytes(t, artifact.upload, bytes).expect(200);
    return artifact.id;
  };

  beforeAll(async () => {
    t = await startApp({ MAX_UPLOAD_BYTES: String(MAX), SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    c = catalog(t, acme);
    const product = await c.product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' });
    releaseId = await newRelease('1.0.0', product.id, { status: 'PUBLISHED' });
  });
  afterAll(() => t.close());

  describe('create', () => {
    it('answers 307 to a signed upload URL with the WAITING artifact as body', async () => {
      const res = await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'App-Setup.EXE', platform: 'windows', arch: 'X86_64' }, releaseRel(releaseId))).expect(307);
      expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/storage\/uploads\/[0-9a-f-]+\/[0-9a-f-]+\?expires=\d+&signature=[0-9a-f]{64}$/);
      expect(res.body.data.attributes).toMatchObject({ filename: 'App-Setup.EXE', filetype: 'exe', arch: 'x86_64', platform: 'windows', status: 'WAITING', sha256: null, downloads: 0 });
      expect(res.headers.location).not.toContain(acme.adminToken);
    });

    it('stores platform and arch lowercased and filters them case-insensitively (SPEC §3.5)', async () => {
      const created = await newArtifact(releaseId, { filename: 'Mixed.app.tar.gz', platform: 'Darwin-Universal', arch: 'AArch64' });
      expect(created.body.data.attributes).toMatchObject({ platform: 'darwin-universal', arch: 'aarch64' });
      const listed = await admin().get(`${acme.base}/artifacts?platform=DARWIN-universal&arch=aarch64`).expect(200);
      expect(listed.body.data.map((a: { id: string }) => a.id)).toEqual([created.id]);
    });

    it('takes the release by version too', async () => {
      await admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'by-version.bin' }, releaseRel('1.0.0'))).expect(200);
    });

    it.each([
      ['an empty segment', { filename: 'a//b.txt' }, 'FILENAME_INVALID'],
      ['a dot-dot segment', { filename: '../etc/passwd' }, 'FILENAME_INVALID'],
      ['a backslash', { filename: 'a\\b.txt' }, 'FILENAME_INVALID'],
      ['a control character', { filename: 'a\u0001b.txt' }, 'FILENAME_INVALID'],
      ['an overlong name', { filename: `${'x'.repeat(252)}.bin` }, 'FILENAME_INVALID'],
      ['a filetype that is not the extension', { filename: 'a.zip', filetype: 'exe' }, 'FILETYPE_INVALID'],
      ['a filetype with a dot', { filename: 'a', filetype: '.exe' }, 'FILETYPE_INVALID'],
      ['a checksum that is no digest', { filename: 'a.bin', checksum: 'abc' }, 'CHECKSUM_INVALID'],
      ['a filesize over the limit', { filename: 'a.bin', filesize: MAX + 1 }, 'FILESIZE_INVALID'],
      ['no release', null, 'RELEASE_MISSING'],
    ])('refuses %s with 422 and creates nothing', async (_, attributes, code) => {
      const before = (await admin().get(`${acme.base}/artifacts?page[size]=100`)).body.meta.count;
      const body = attributes ? doc('artifacts', attributes, releaseRel(releaseId)) : doc('artifacts', { filename: 'x.bin' });
      const res = await admin().post(`${acme.base}/artifacts`).send(body);
      expect([400, 422]).toContain(res.status);
      expect(res.body.errors[0].code).toBe(code);
      expect((await admin().get(`${acme.base}/artifacts?page[size]=100`)).body.meta.count).toBe(before);
    });

    it('refuses an uploaded filename twice in a release (any case), and read-only attributes', async () => {
      await uploaded(releaseId, 'twice.bin', randomFile(10));
      const res = await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'TWICE.bin' }, releaseRel(releaseId))).expect(422);
      expect(res.body.errors[0]).toMatchObject({ code: 'FILENAME_TAKEN', source: { pointer: '/data/attributes/filename' } });
      for (const attribute of ['status', 'sha256', 'downloads']) {
        await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: `ro-${attribute}.bin`, [attribute]: 'x' }, releaseRel(releaseId))).expect(400);
      }
    });

    it('creating again an artifact still WAITING or FAILED answers a new upload URL for the same artifact (idempotent create)', async () => {
      const first = await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'again.bin', filesize: 4 }, releaseRel(releaseId))).expect(307);
      const id = first.body.data.id;
      // An upload URL for it signed an hour ago: expired before the client used it.
      const now = Date.now;
      Date.now = () => now() - 3_600_000;
      const expired = t.app.get(SignedUrls).sign({ protocol: 'http', get: () => 'localhost', socket: {} } as unknown as Request, 'upload', acme.id, id);
      Date.now = now;
      const refused = await putBytes(t, expired, Buffer.from('abcd')).expect(403);
      expect(refused.body.errors[0].detail).toMatch(/create the artifact again \(POST \/artifacts with the same release and filename\)/);
      const again = await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'AGAIN.bin', filesize: 5 }, releaseRel(releaseId))).expect(307);
      expect(again.body.data).toMatchObject({ id, attributes: { filename: 'again.bin', filesize: 5, status: 'WAITING' } });
      expect(again.headers.location).not.toBe(first.headers.location);
      // Wrong bytes: FAILED; created again, WAITING with the new attributes, and then uploaded.
      await putBytes(t, again.headers.location, Buffer.from('abcd')).expect(422);
      expect((await admin().get(`${acme.base}/artifacts/${id}`).set('Prefer', 'no-download')).body.data.attributes.status).toBe('FAILED');
      const retry = await newArtifact(releaseId, { filename: 'again.bin', filesize: 4 });
      expect(retry.body.data).toMatchObject({ id, attributes: { status: 'WAITING', filesize: 4 } });
      await putBytes(t, retry.upload, Buffer.from('abcd')).expect(200);
      const taken = await admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'again.bin' }, releaseRel(releaseId))).expect(422);
      expect(taken.body.errors[0].code).toBe('FILENAME_TAKEN');
      const [row] = await t.db.query(`SELECT count(*)::int AS n FROM artifacts WHERE lower(filename) = 'again.bin'`);
      expect(row.n).toBe(1);
      const events = await t.db.query(`SELECT event FROM event_logs WHERE resource_id = $1 ORDER BY created_at`, [id]);
      expect(events.map((e: { event: string }) => e.event).filter((e: string) => e === 'artifact.created')).toHaveLength(1);
    });

    it('concurrent creates of one new filename all answer the same artifact', async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => admin().post(`${acme.base}/artifacts`).send(doc('artifacts', { filename: 'together.bin' }, releaseRel(releaseId)))),
      );
      expect(answers.map((res) => res.status)).toEqual(Array<number>(8).fill(307));
      expect(new Set(answers.map((res) => res.body.data.id)).size).toBe(1);
    });
  });

  describe('upload', () => {
    it('streams the bytes, verifies them and marks the artifact UPLOADED', async () => {
      const bytes = randomFile(100_000);
      const artifact = await newArtifact(releaseId, { filename: 'good.bin', checksum: sha256(bytes), filesize: bytes.length });
      const res = await putBytes(t, artifact.upload, bytes).expect(200);
      expect(res.body.data.attributes).toMatchObject({ status: 'UPLOADED', sha256: sha256(bytes), filesize: bytes.length });
      await putBytes(t, artifact.upload, bytes).expect(409);
    });

    it('accepts a base64 sha512 checksum', async () => {
      const bytes = randomFile(5000);
      const checksum = (await import('node:crypto')).createHash('sha512').update(bytes).digest('base64');
      const artifact = await newArtifact(releaseId, { filename: 'sha512.bin', checksum });
      await putBytes(t, artifact.upload, bytes).expect(200);
      const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes.filesize).toBe(5000);
    });

    it.each([
      ['checksum', (bytes: Buffer) => ({ checksum: sha256(Buffer.concat([bytes, Buffer.from('x')])) }), 'CHECKSUM_MISMATCH'],
      ['filesize', (bytes: Buffer) => ({ filesize: bytes.length + 1 }), 'FILESIZE_MISMATCH'],
    ])('a %s mismatch marks the artifact FAILED and answers 422, keeping no bytes', async (_, declared, code) => {
      const bytes = randomFile(4096);
      const artifact = await newArtifact(releaseId, { filename: `mismatch-${code}.bin`, ...declared(bytes) });
      const res = await putBytes(t, artifact.upload, bytes).expect(422);
      expect(res.body.errors[0].code).toBe(code);
      const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes.status).toBe('FAILED');
      const failed = await admin().get(`${acme.base}/artifacts/${artifact.id}`).expect(200);
      expect(failed.headers.location).toBeUndefined();
      expect(await blobsOf(artifact.id)).toEqual([]);
    });

    it('answers 413 past MAX_UPLOAD_BYTES, counting the bytes actually received', async () => {
      const artifact = await newArtifact(releaseId, { filename: 'too-big.bin' });
      const res = await putBytes(t, artifact.upload, randomFile(MAX + 1)).expect(413);
      expect(res.body.errors[0].code).toBe('PAYLOAD_TOO_LARGE');
      // A chunked body announces no length: the limit still holds.
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: localPath(artifact.upload) }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        });
        req.on('error', reject);
        req.setHeader('Transfer-Encoding', 'chunked');
        for (let i = 0; i < 5; i += 1) req.write(randomFile(MAX / 2));
        req.end();
      });
      expect(status).toBe(413);
      const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes.status).toBe('WAITING');
    });

    it('a client that disconnects mid-upload leaves no UPLOADED row and no temporary file after the sweep', async () => {
      const artifact = await newArtifact(releaseId, { filename: 'dropped.bin' });
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: localPath(artifact.upload), headers: { 'Content-Length': String(200_000) } });
        req.on('error', () => resolve());
        req.write(randomFile(50_000), () => setTimeout(() => {
          req.destroy();
          resolve();
        }, 100));
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes.status).toBe('WAITING');
      await t.app.get(StorageSweeper).sweep(0);
      const tmp = await readdir(join(t.config.dataDir, 'storage', 'tmp')).catch(() => []);
      expect(tmp).toEqual([]);
      expect(await blobsOf(artifact.id)).toEqual([]);
    });

    it('concurrent uploads of one artifact: one wins, the others get 409, and the bytes match the recorded sha256', async () => {
      for (let round = 0; round < 5; round += 1) {
        const artifact = await newArtifact(releaseId, { filename: `race-${round}.bin` });
        const bodies = [randomFile(9000), randomFile(9000), randomFile(9000)];
        const results = await Promise.all(bodies.map((bytes) => putBytes(t, artifact.upload, bytes)));
        expect(results.map((res) => res.status).sort()).toEqual([200, 409, 409]);
        const winner = bodies[results.findIndex((res) => res.status === 200)];
        const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).expect(303);
        expect(shown.body.data.attributes.sha256).toBe(sha256(winner));
        const file = await t.http.get(localPath(shown.headers.location)).buffer(true).parse(binary as never).expect(200);
        expect(file.headers.etag).toBe(`"${sha256(winner)}"`);
        expect(sha256(file.body as Buffer)).toBe(sha256(winner));
        expect(await blobsOf(artifact.id)).toHaveLength(1);
      }
    });

    /**
     * A PUT whose body stops after its first part until `middle` has run, then ends: an upload in
     * flight while something else happens. Resolves with the status and the body of the answer.
     */
    const throttledPut = async (url: string, bytes: Buffer, middle: () => Promise<void>): Promise<{ status: number; body: { errors?: { code: string }[] } }> => {
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: localPath(url), headers: { 'Content-Length': String(bytes.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
        });
        req.on('error', reject);
        req.write(bytes.subarray(0, 1000), () =>
          setTimeout(() => {
            middle().then(() => req.end(bytes.subarray(1000)), reject);
          }, 100),
        );
      });
    };

    it('an upload in flight while the artifact is created again changes nothing: 409, the new declaration stands (SPEC §3.5)', async () => {
      const old = randomFile(200_000);
      const fresh = Buffer.from('fresh');
      const created = await newArtifact(releaseId, { filename: 'recreated.bin', checksum: sha256(old), filesize: old.length });
      let again!: { id: string; upload: string };
      const res = await throttledPut(created.upload, old, async () => {
        again = await newArtifact(releaseId, { filename: 'recreated.bin', checksum: sha256(fresh), filesize: fresh.length });
      });
      expect(again.id).toBe(created.id);
      expect(res.status).toBe(409);
      expect(res.body.errors![0].code).toBe('ARTIFACT_CHANGED');
      const shown = await admin().get(`${acme.base}/artifacts/${created.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes).toMatchObject({ status: 'WAITING', checksum: sha256(fresh), filesize: fresh.length, sha256: null });
      expect(await blobsOf(created.id)).toEqual([]);
      await putBytes(t, again.upload, fresh).expect(200);
      const done = await admin().get(`${acme.base}/artifacts/${created.id}`).set('Prefer', 'no-download').expect(200);
      expect(done.body.data.attributes).toMatchObject({ status: 'UPLOADED', sha256: sha256(fresh), filesize: fresh.length });
    });

    it('an upload in flight that fails its old checksum does not mark the artifact created again FAILED', async () => {
      const declared = randomFile(20_000);
      const fresh = Buffer.from('fresh');
      const created = await newArtifact(releaseId, { filename: 'refailed.bin', checksum: sha256(declared) });
      const res = await throttledPut(created.upload, randomFile(20_000), async () => {
        await newArtifact(releaseId, { filename: 'refailed.bin', checksum: sha256(fresh) });
      });
      expect(res.status).toBe(409);
      expect(res.body.errors![0].code).toBe('ARTIFACT_CHANGED');
      const shown = await admin().get(`${acme.base}/artifacts/${created.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes).toMatchObject({ status: 'WAITING', checksum: sha256(fresh) });
      const failed = await t.db.query(`SELECT count(*)::int AS n FROM event_logs WHERE resource_id = $1 AND event = 'artifact.failed'`, [created.id]);
      expect(failed[0].n).toBe(0);
    });

    it('a PATCH of the declared checksum during an upload: the upload gets 409 and stores nothing', async () => {
      const bytes = randomFile(20_000);
      const created = await newArtifact(releaseId, { filename: 'patched.bin', checksum: sha256(bytes) });
      const res = await throttledPut(created.upload, bytes, async () => {
        await admin().patch(`${acme.base}/artifacts/${created.id}`).send({ data: { type: 'artifacts', id: created.id, attributes: { checksum: sha256(Buffer.from('other')) } } }).expect(200);
      });
      expect(res.status).toBe(409);
      const shown = await admin().get(`${acme.base}/artifacts/${created.id}`).set('Prefer', 'no-download').expect(200);
      expect(shown.body.data.attributes.status).toBe('WAITING');
      expect(await blobsOf(created.id)).toEqual([]);
    });

    it('refuses a tampered or unsigned upload URL with 403', async () => {
      const artifact = await newArtifact(releaseId, { filename: 'tamper.bin' });
      const tampered = artifact.upload.replace(/signature=([0-9a-f])/, (_, first) => `signature=${first === '0' ? '1' : '0'}`);
      expect((await putBytes(t, tampered, Buffer.from('x')).expect(403)).body.errors[0].code).toBe('SIGNATURE_INVALID');
      await putBytes(t, artifact.upload.split('?')[0], Buffer.from('x')).expect(403);
      const otherArtifact = await newArtifact(releaseId, { filename: 'tamper-2.bin' });
      const swapped = artifact.upload.replace(artifact.id, otherArtifact.id);
      await putBytes(t, swapped, Buffer.from('x')).expect(403);
    });
  });

  describe('download', () => {
    let bytes: Buffer;
    let artifactId: string;
    beforeAll(async () => {
      bytes = randomFile(50_000);
      artifactId = await uploaded(releaseId, 'dist/app-1.0.0.tar.gz', bytes);
    });

    it('answers 303 to a signed URL that serves the exact bytes', async () => {
      const res = await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).expect(303);
      expect(res.body.data.id).toBe(artifactId);
      const file = await t.http.get(localPath(res.headers.location)).buffer(true).parse(binary as never).expect(200);
      expect(sha256(file.body as Buffer)).toBe(sha256(bytes));
      expect(file.headers).toMatchObject({
        'content-length': String(bytes.length),
        etag: `"${sha256(bytes)}"`,
        'accept-ranges': 'bytes',
        'content-type': 'application/octet-stream',
      });
      expect(file.headers['content-disposition']).toContain('attachment; filename="app-1.0.0.tar.gz"');
      expect(file.headers['content-encoding']).toBeUndefined();
    });

    it('serves HEAD, single and suffix ranges, 416 and 304', async () => {
      const url = localPath((await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).expect(303)).headers.location);
      const head = await t.http.head(url).expect(200);
      expect(head.headers['content-length']).toBe(String(bytes.length));
      const single = await t.http.get(url).set('Range', 'bytes=100-199').buffer(true).parse(binary as never).expect(206);
      expect(single.headers['content-range']).toBe(`bytes 100-199/${bytes.length}`);
      expect((single.body as Buffer).equals(bytes.subarray(100, 200))).toBe(true);
      const suffix = await t.http.get(url).set('Range', 'bytes=-10').buffer(true).parse(binary as never).expect(206);
      expect((suffix.body as Buffer).equals(bytes.subarray(bytes.length - 10))).toBe(true);
      const open = await t.http.get(url).set('Range', `bytes=${bytes.length - 5}-`).buffer(true).parse(binary as never).expect(206);
      expect((open.body as Buffer).length).toBe(5);
      const unsatisfiable = await t.http.get(url).set('Range', `bytes=${bytes.length}-`).expect(416);
      expect(unsatisfiable.headers['content-range']).toBe(`bytes */${bytes.length}`);
      await t.http.get(url).set('If-None-Match', `"${sha256(bytes)}"`).expect(304);
    });

    it('refuses an expired or tampered download URL with 403', async () => {
      const url = (await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).expect(303)).headers.location as string;
      const expired = new URL(url);
      expired.searchParams.set('expires', String(Math.floor(Date.now() / 1000) - 10));
      await t.http.get(expired.pathname + expired.search).expect(403);
      const other = new URL(url);
      other.searchParams.set('expires', String(Number(other.searchParams.get('expires')) + 1000));
      await t.http.get(other.pathname + other.search).expect(403);
    });

    it('honours Prefer, counts downloads and logs them', async () => {
      const noRedirect = await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).set('Prefer', 'no-redirect').expect(200);
      expect(noRedirect.headers.location).toContain('/storage/downloads/');
      const before = noRedirect.body.data.attributes.downloads;
      const noDownload = await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).set('Prefer', 'no-download').expect(200);
      expect(noDownload.headers.location).toBeUndefined();
      expect(noDownload.body.data.attributes.downloads).toBe(before);
      await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).expect(303);
      const after = await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).set('Prefer', 'no-download').expect(200);
      expect(after.body.data.attributes.downloads).toBe(before + 1);
      const events = await admin().get(`${acme.base}/event-logs?resource=${artifactId}&event=artifact.downloaded&page[size]=100`).expect(200);
      expect(events.body.meta.count).toBe(before + 1);
    });

    it('serves the vanity URL, and 404s a wrong filename on it', async () => {
      const res = await t.as(null).get(`${acme.base}/artifacts/${artifactId}/dist/app-1.0.0.tar.gz`).expect(303);
      expect(res.headers.location).toContain('/storage/downloads/');
      await t.as(null).get(`${acme.base}/artifacts/${artifactId}/other.tar.gz`).expect(404);
    });

    it('finds by filename the artifact of the highest version, narrowed by release', async () => {
      const product = await c.product({ name: 'Multi', code: 'multi', distributionStrategy: 'OPEN' });
      const ids: Record<string, string> = {};
      for (const version of ['1.10.0', '1.9.0', '2.0.0-rc.1']) {
        const channel = version.includes('rc') ? 'rc' : 'stable';
        const rel = await newRelease(version, product.id, { status: 'PUBLISHED', channel });
        ids[version] = await uploaded(rel, 'multi.zip', randomFile(100));
      }
      const top = await t.as(null).get(`${acme.base}/artifacts/multi.zip?product=multi`).set('Prefer', 'no-download').expect(200);
      expect(top.body.data.id).toBe(ids['2.0.0-rc.1']);
      const stable = await t.as(null).get(`${acme.base}/artifacts/multi.zip?product=multi&channel=stable`).set('Prefer', 'no-download').expect(200);
      expect(stable.body.data.id).toBe(ids['1.10.0']);
      const pinned = await t.as(null).get(`${acme.base}/artifacts/multi.zip?product=multi&release=1.9.0`).set('Prefer', 'no-download').expect(200);
      expect(pinned.body.data.id).toBe(ids['1.9.0']);
      await t.as(null).get(`${acme.base}/artifacts/multi.zip?colour=red`).expect(400);
    });

    it('nobody downloads an artifact that is not uploaded, or of a yanked release; staff get its document without a Location', async () => {
      const waiting = await newArtifact(releaseId, { filename: 'never.bin' });
      await t.as(null).get(`${acme.base}/artifacts/${waiting.id}`).expect(404);
      const shown = await admin().get(`${acme.base}/artifacts/${waiting.id}`).expect(200);
      expect(shown.headers.location).toBeUndefined();
      expect(shown.body.data.attributes).toMatchObject({ status: 'WAITING', downloads: 0 });
      const vanity = await admin().get(`${acme.base}/artifacts/${waiting.id}/never.bin`).set('Prefer', 'no-redirect').expect(200);
      expect(vanity.headers.location).toBeUndefined();
      const product = await c.product({ name: 'Yank', distributionStrategy: 'OPEN' });
      const rel = await newRelease('1.0.0', product.id, { status: 'PUBLISHED' });
      const id = await uploaded(rel, 'yank.bin', randomFile(100));
      const url = (await t.as(null).get(`${acme.base}/artifacts/${id}`).expect(303)).headers.location as string;
      await admin().post(`${acme.base}/releases/${rel}/actions/yank`).expect(200);
      await t.as(null).get(`${acme.base}/artifacts/${id}`).expect(404);
      const yanked = await admin().get(`${acme.base}/artifacts/${id}`).expect(200);
      expect(yanked.headers.location).toBeUndefined();
      expect(yanked.body.data.id).toBe(id);
      await t.http.get(localPath(url)).expect(404);
    });
  });

  describe('update, delete and sweep', () => {
    it('PATCH changes only filesize, checksum, signature and metadata', async () => {
      const artifact = await newArtifact(releaseId, { filename: 'patch.bin' });
      const res = await admin().patch(`${acme.base}/artifacts/${artifact.id}`).send(doc('artifacts', { signature: 'sig==', metadata: { a: 1 } })).expect(200);
      expect(res.body.data.attributes).toMatchObject({ signature: 'sig==', metadata: { a: 1 } });
      for (const attribute of ['filename', 'status', 'platform']) {
        await admin().patch(`${acme.base}/artifacts/${artifact.id}`).send(doc('artifacts', { [attribute]: 'x' })).expect(400);
      }
      await admin().patch(`${acme.base}/artifacts/${artifact.id}`).send(doc('artifacts', { signature: 'x'.repeat(4097) })).expect(422);
    });

    it('DELETE removes the row and the bytes, and logs it', async () => {
      const bytes = randomFile(1000);
      const id = await uploaded(releaseId, 'delete-me.bin', bytes);
      expect(await blobsOf(id)).toHaveLength(1);
      const path = join(t.config.dataDir, 'storage', 'blobs', acme.id, (await blobsOf(id))[0]);
      await admin().delete(`${acme.base}/artifacts/${id}`).expect(204);
      expect(existsSync(path)).toBe(false);
      await admin().get(`${acme.base}/artifacts/${id}`).expect(404);
      const events = await admin().get(`${acme.base}/event-logs?resource=${id}&page[size]=100`).expect(200);
      expect(events.body.data.map((e: { attributes: { event: string } }) => e.attributes.event).sort()).toEqual(['artifact.created', 'artifact.deleted', 'artifact.uploaded']);
    });

    it('the sweep removes unreferenced bytes and old temporary files after the grace period, and keeps referenced ones', async () => {
      const keptId = await uploaded(releaseId, 'kept.bin', randomFile(10));
      const orphanDir = join(t.config.dataDir, 'storage', 'blobs', acme.id);
      const orphan = join(orphanDir, '00000000-0000-4000-8000-000000000001.00000000-0000-4000-8000-000000000003');
      const fresh = join(orphanDir, '00000000-0000-4000-8000-000000000002.00000000-0000-4000-8000-000000000004');
      const temp = join(t.config.dataDir, 'storage', 'tmp', 'abandoned.part');
      await mkdir(join(t.config.dataDir, 'storage', 'tmp'), { recursive: true });
      for (const path of [orphan, fresh, temp]) await writeFile(path, 'x');
      const old = new Date(Date.now() - 2 * 3600_000);
      await utimes(orphan, old, old);
      await utimes(temp, old, old);
      const report = await t.app.get(StorageSweeper).sweep(3600_000);
      expect(report.removedBlobs).toBeGreaterThanOrEqual(1);
      expect(report.removedTemporary).toBeGreaterThanOrEqual(1);
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(temp)).toBe(false);
      expect(existsSync(fresh)).toBe(true);
      expect(await blobsOf(keptId)).toHaveLength(1);
    });
  });
});
