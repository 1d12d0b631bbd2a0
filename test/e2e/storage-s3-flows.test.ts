import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BLOB_STORE } from '../../src/storage/blob-store.js';
import type { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { coreMetadata, twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { releaseFixtures } from '../support/releases.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { localPath, sha256 } from '../support/upload.js';

const MiB = 1024 * 1024;
/** Small enough that a refused upload is refused after the driver started a multipart upload (8 MiB parts). */
const MAX_UPLOAD_BYTES = 12 * MiB;

/** One connection at a time, kept alive as clients (pip, twine, curl) keep theirs. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Sends a request by hand: `chunks` in order, then either the end or a dropped connection. */
function send(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; chunks: Buffer[]; drop?: boolean },
): Promise<{ status: number; text: string } | 'dropped'> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers, agent });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', (error) => (options.drop ? resolve('dropped') : reject(error)));
    const next = (index: number) => {
      if (index < options.chunks.length) {
        req.write(options.chunks[index], () => next(index + 1));
        return;
      }
      if (!options.drop) {
        req.end();
        return;
      }
      // Let the server read what was sent (a multipart upload is under way), then go away.
      setTimeout(() => {
        req.destroy();
        resolve('dropped');
      }, 500);
    };
    next(0);
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A multipart/form-data body as twine writes it, split so that its end can be withheld. */
function twineBody(fields: Record<string, string | undefined>, file: { filename: string; bytes: Buffer }) {
  const boundary = `----keyshelf${randomBytes(8).toString('hex')}`;
  const head = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
    .join('');
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    start: Buffer.from(head + fileHead),
    end: Buffer.from(`\r\n--${boundary}--\r\n`),
  };
}

/**
 * Object storage in every flow (SPEC §3.5, §6, §7), against s3rver: downloads of every route are
 * 303s to URLs presigned for the public endpoint, which serve the bytes without credentials;
 * uploads on every path (signed PUT, twine, generic PUT) become objects only once verified, and a
 * refused upload — digest or size mismatch, 413, zip bomb, dropped connection — leaves neither an
 * object nor an incomplete multipart upload.
 */
describe('object storage in every flow (s3rver)', () => {
  let s3: TestS3;
  let t: TestApp;
  let acme: TestAccount;
  let port: number;
  let productAuth: string;
  let licenseKey: string;
  let releaseId: string;
  let publicEndpoint: string;
  let f: ReturnType<typeof releaseFixtures>;
  const admin = () => t.as(bearer(acme.adminToken));
  const store = () => t.app.get<S3BlobStore>(BLOB_STORE);
  const objects = async () => {
    const page = await store().client.send(new ListObjectsV2Command({ Bucket: s3.env.S3_BUCKET }));
    return (page.Contents ?? []).map((object) => object.Key!).sort();
  };
  const incompleteUploads = async () => {
    const page = await store().client.send(new ListMultipartUploadsCommand({ Bucket: s3.env.S3_BUCKET }));
    return (page.Uploads ?? []).map((upload) => upload.Key!);
  };
  /** What storage holds besides committed objects: nothing, once a refused upload is over. */
  const storage = async () => ({ objects: await objects(), incomplete: await incompleteUploads() });
  const rows = async () => (await t.db.query(`SELECT count(*)::int AS n FROM artifacts WHERE status = 'UPLOADED'`))[0].n as number;

  /** A presigned URL on the public endpoint, fetched as a client would: no credentials. */
  const fetchPresigned = async (location: string) => {
    const url = new URL(location);
    expect(url.origin).toBe(publicEndpoint);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const res = await fetch(url, { redirect: 'error' });
    expect(res.status).toBe(200);
    return { bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  };
  const newArtifact = async (attributes: Record<string, unknown>) => {
    const res = await admin()
      .post(`${acme.base}/artifacts`)
      .set('Prefer', 'no-redirect')
      .send({ data: { type: 'artifacts', attributes, relationships: { release: { data: { type: 'releases', id: releaseId } } } } })
      .expect(200);
    return { id: res.body.data.id as string, path: localPath(res.headers.location) };
  };

  beforeAll(async () => {
    s3 = await startS3();
    // The API reaches the store at 127.0.0.1, clients at localhost: another host, as pip sees it.
    publicEndpoint = s3.env.S3_ENDPOINT.replace('127.0.0.1', 'localhost');
    t = await startApp({ ...s3.env, S3_PUBLIC_ENDPOINT: publicEndpoint, MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), SWEEP_INTERVAL_SECONDS: '0', PYPI_UPSTREAM_URL: '' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ name: 'App', code: 'app' });
    productAuth = basic('__token__', await c.token(`products/${product.id}`));
    licenseKey = (await c.license((await c.policy(product.id)).id)).attributes.key as string;
    f = releaseFixtures(t, acme);
    releaseId = await f.release(product.id, '1.0.0');
  });
  afterAll(async () => {
    agent.destroy();
    await t.close();
    await s3.close();
  });

  describe('downloads are presigned GETs', () => {
    it('JSON:API artifacts: 303 (and Prefer: no-redirect 200) to the public endpoint, by id and by the vanity URL; downloads are counted', async () => {
      const bytes = randomBytes(9 * MiB);
      const artifact = await newArtifact({ filename: 'app-1.0.0.tar.gz', checksum: sha256(bytes) });
      await t.http.put(artifact.path).send(bytes).expect(200);
      const license = basic('license', licenseKey);

      const byId = await t.as(license).get(`${acme.base}/artifacts/${artifact.id}`).expect(303);
      expect(byId.body.data.id).toBe(artifact.id);
      const fetched = await fetchPresigned(byId.headers.location);
      expect(sha256(fetched.bytes)).toBe(sha256(bytes));
      expect(fetched.headers.get('content-type')).toBe('application/octet-stream');
      expect(fetched.headers.get('content-disposition')).toMatch(/^attachment; filename="app-1\.0\.0\.tar\.gz"/);

      const noRedirect = await t.as(license).get(`${acme.base}/artifacts/app-1.0.0.tar.gz`).set('Prefer', 'no-redirect').expect(200);
      expect(new URL(noRedirect.headers.location).origin).toBe(publicEndpoint);
      const vanity = await t.as(license).get(`${acme.base}/artifacts/${artifact.id}/app-1.0.0.tar.gz`).expect(303);
      expect(sha256((await fetchPresigned(vanity.headers.location)).bytes)).toBe(sha256(bytes));
      const counted = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
      expect(counted.body.data.attributes.downloads).toBe(3);
    });

    it('PyPI: the page links the vanity URL, which and files/{sha256}/{filename} redirect to the store; .metadata is served by the API', async () => {
      const stored = randomBytes(9 * MiB);
      const bytes = wheel('s3-demo', '1.0.0', { extra: { 's3_demo/blob.bin': [stored, { level: 0 }] } });
      expect(bytes.length).toBeGreaterThan(8 * MiB);
      const filename = wheelName('s3-demo', '1.0.0');
      await twineForm(t.as(productAuth).post(`${acme.base}/engines/pypi`), { filename, bytes }, twineFields('s3-demo', '1.0.0', bytes, 'bdist_wheel')).expect(201);
      const license = basic('license', licenseKey);

      const page = await t.as(license).get(`${acme.base}/engines/pypi/simple/s3-demo/`).expect(200);
      const anchor = /<a href="([^"]+)"[^>]*data-core-metadata="sha256=([0-9a-f]{64})"[^>]*>([^<]+)<\/a>/.exec(page.text);
      expect(anchor?.[3]).toBe(filename);
      const href = new URL(anchor![1].replace(/&amp;/g, '&'));
      expect(href.hash).toBe(`#sha256=${sha256(bytes)}`);
      const vanity = await t.as(license).get(href.pathname).expect(303);
      expect(sha256((await fetchPresigned(vanity.headers.location)).bytes)).toBe(sha256(bytes));

      const metadata = await t.as(license).get(`${href.pathname}.metadata`).expect(200);
      expect(sha256(Buffer.from(metadata.text))).toBe(anchor![2]);
      expect(metadata.text).toBe(coreMetadata('s3-demo', '1.0.0'));

      const file = await t.as(license).get(`${acme.base}/engines/pypi/files/${sha256(bytes)}/${filename}`).expect(303);
      expect(sha256((await fetchPresigned(file.headers.location)).bytes)).toBe(sha256(bytes));
    });

    it('generic: GET and HEAD answer 303 to the store; only GET counts', async () => {
      const bytes = randomBytes(300_000);
      const url = `${acme.base}/engines/generic/tool/2.0.0/tool.bin`;
      await t.as(productAuth).put(url).set('Content-Type', 'application/octet-stream').send(bytes).expect(201);
      const license = basic('license', licenseKey);
      const head = await t.as(license).head(url).expect(303);
      expect(new URL(head.headers.location).origin).toBe(publicEndpoint);
      const get = await t.as(license).get(url).expect(303);
      expect(sha256((await fetchPresigned(get.headers.location)).bytes)).toBe(sha256(bytes));
      const [row] = await t.db.query(`SELECT downloads FROM artifacts WHERE filename = 'tool.bin'`);
      expect(Number(row.downloads)).toBe(1);
    });

    it('Tauri: the update url redirects to the store, with the check\'s own Authorization; the signature comes from a .sig object', async () => {
      const c = catalog(t, acme);
      const desk = await c.product({ name: 'Desk', code: 'desk' });
      const pkg = await c.package(desk.id, { key: 'desk', engine: 'tauri' });
      const key = (await c.license((await c.policy(desk.id)).id)).attributes.key as string;
      await f.release(desk.id, '1.0.0', {}, pkg.id);
      const next = await f.release(desk.id, '1.1.0', { description: 'Notes' }, pkg.id);
      const bytes = randomBytes(200_000);
      await f.artifact(next, { filename: 'Desk.AppImage.tar.gz', platform: 'linux', arch: 'x86_64' }, bytes);
      await f.artifact(next, { filename: 'Desk.AppImage.tar.gz.sig' }, Buffer.from('c2lnbmF0dXJlIGZyb20gczM=\n'));

      const check = await t.as(`License ${key}`).get(`${acme.base}/engines/tauri/desk?platform=linux&arch=x86_64&version=1.0.0`).expect(200);
      expect(check.body.signature).toBe('c2lnbmF0dXJlIGZyb20gczM=');
      const url = new URL(check.body.url);
      expect(url.origin).toBe(`http://127.0.0.1:${port}`);
      const redirect = await t.as(`License ${key}`).get(url.pathname).expect(303);
      expect(sha256((await fetchPresigned(redirect.headers.location)).bytes)).toBe(sha256(bytes));
    });
  });

  describe('uploads are verified before they become objects', () => {
    it('signed PUT: nothing is visible while the bytes stream in, one object once verified', async () => {
      const bytes = randomBytes(10 * MiB);
      const artifact = await newArtifact({ filename: 'streamed.bin', checksum: sha256(bytes) });
      const before = await objects();
      const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: artifact.path, headers: { 'Content-Length': String(bytes.length) } });
      const answered = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => (res.resume(), resolve(res.statusCode!)));
        req.on('error', reject);
      });
      req.write(bytes.subarray(0, 9 * MiB));
      // The first part is in the store, as an upload that is not an object yet.
      await until('a multipart upload', async () => (await incompleteUploads()).some((key) => key.startsWith(`${acme.id}/${artifact.id}.`)));
      expect(await objects()).toEqual(before);
      req.end(bytes.subarray(9 * MiB));
      expect(await answered).toBe(200);
      const after = await storage();
      expect(after.incomplete).toEqual([]);
      expect(after.objects.filter((key) => !before.includes(key))).toEqual([expect.stringMatching(new RegExp(`^${acme.id}/${artifact.id}\\.`))]);
    });

    type Refusal = { attempt: () => ReturnType<typeof send>; expected: number | 'dropped' };
    const twineKinds = ['sha256_digest mismatch', 'over the limit', 'zip bomb', 'dropped mid-upload'] as const;
    const refused: [string, () => Promise<Refusal>][] = [
      [
        'signed PUT, checksum mismatch',
        async () => {
          const artifact = await newArtifact({ filename: 'mismatch.bin', checksum: sha256(Buffer.from('other')) });
          const bytes = randomBytes(9 * MiB);
          return { attempt: () => send(port, { method: 'PUT', path: artifact.path, headers: { 'Content-Length': String(bytes.length) }, chunks: [bytes] }), expected: 422 };
        },
      ],
      [
        'signed PUT, filesize mismatch',
        async () => {
          const artifact = await newArtifact({ filename: 'short.bin', filesize: 9 * MiB + 1 });
          const bytes = randomBytes(9 * MiB);
          return { attempt: () => send(port, { method: 'PUT', path: artifact.path, headers: { 'Content-Length': String(bytes.length) }, chunks: [bytes] }), expected: 422 };
        },
      ],
      [
        'signed PUT, over the limit without Content-Length',
        async () => {
          const artifact = await newArtifact({ filename: 'large.bin' });
          return { attempt: () => send(port, { method: 'PUT', path: artifact.path, headers: {}, chunks: [randomBytes(9 * MiB), randomBytes(4 * MiB)] }), expected: 413 };
        },
      ],
      [
        'signed PUT, dropped mid-upload',
        async () => {
          const artifact = await newArtifact({ filename: 'dropped.bin' });
          return { attempt: () => send(port, { method: 'PUT', path: artifact.path, headers: { 'Content-Length': String(11 * MiB) }, chunks: [randomBytes(9 * MiB)], drop: true }), expected: 'dropped' };
        },
      ],
      ...twineKinds.map(
        (kind, index): [string, () => Promise<Refusal>] => [
          `twine, ${kind}`,
          async () => {
            const version = `2.0.${index}`;
            const filler = randomBytes(kind === 'over the limit' ? 13 * MiB : 9 * MiB);
            const metadata = kind === 'zip bomb' ? `${coreMetadata('refused', version)}${'x'.repeat(20 * MiB)}` : undefined;
            const bytes = wheel('refused', version, { extra: { 'refused/blob.bin': [filler, { level: 0 }] }, ...(metadata ? { metadata } : {}) });
            const fields = twineFields('refused', version, bytes, 'bdist_wheel', kind === 'sha256_digest mismatch' ? { sha256_digest: sha256(Buffer.from('other')) } : {});
            const body = twineBody(fields, { filename: wheelName('refused', version), bytes });
            const drop = kind === 'dropped mid-upload';
            const chunks = drop ? [body.start, bytes.subarray(0, 9 * MiB)] : [body.start, bytes, body.end];
            const headers = { 'Content-Type': body.contentType, Authorization: productAuth, ...(drop ? { 'Content-Length': String(body.start.length + bytes.length + body.end.length) } : {}) };
            return {
              attempt: () => send(port, { method: 'POST', path: `${acme.base}/engines/pypi`, headers, chunks, drop }),
              expected: drop ? 'dropped' : kind === 'over the limit' ? 413 : 400,
            };
          },
        ],
      ),
      [
        'generic PUT, over the limit without Content-Length',
        async () => ({
          attempt: () =>
            send(port, { method: 'PUT', path: `${acme.base}/engines/generic/tool/3.0.0/large.bin`, headers: { Authorization: productAuth }, chunks: [randomBytes(9 * MiB), randomBytes(4 * MiB)] }),
          expected: 413,
        }),
      ],
      [
        'generic PUT, dropped mid-upload',
        async () => ({
          attempt: () =>
            send(port, {
              method: 'PUT',
              path: `${acme.base}/engines/generic/tool/3.0.0/dropped.bin`,
              headers: { Authorization: productAuth, 'Content-Length': String(11 * MiB) },
              chunks: [randomBytes(9 * MiB)],
              drop: true,
            }),
          expected: 'dropped',
        }),
      ],
      [
        'generic PUT of a form, dropped mid-upload',
        async () => {
          const body = twineBody({}, { filename: 'form.bin', bytes: Buffer.alloc(0) });
          return {
            attempt: () =>
              send(port, {
                method: 'PUT',
                path: `${acme.base}/engines/generic/tool/3.0.0/form.bin`,
                headers: { Authorization: productAuth, 'Content-Type': body.contentType, 'Content-Length': String(11 * MiB) },
                chunks: [body.start, randomBytes(9 * MiB)],
                drop: true,
              }),
            expected: 'dropped',
          };
        },
      ],
    ];

    it.each([
      ['signed PUT', async () => ({ method: 'PUT', path: (await newArtifact({ filename: 'unlucky.bin' })).path, headers: {} })],
      ['generic PUT', async () => ({ method: 'PUT', path: `${acme.base}/engines/generic/tool/4.0.0/unlucky.bin`, headers: { Authorization: productAuth } })],
    ])('%s: a store that fails to complete the upload answers 503 and keeps no incomplete upload', async (_, target) => {
      const { method, path, headers } = await target();
      const before = { storage: await storage(), rows: await rows() };
      s3.failing = (verb, url) => verb === 'POST' && url.searchParams.has('uploadId');
      try {
        const outcome = await send(port, { method, path, headers: { ...headers, 'Content-Length': String(9 * MiB) }, chunks: [randomBytes(9 * MiB)] });
        expect(outcome).toMatchObject({ status: 503 });
      } finally {
        s3.failing = null;
      }
      expect({ storage: await storage(), rows: await rows() }).toEqual(before);
    });

    it.each(refused)('%s: refused, and storage holds no object and no incomplete upload of it', async (_, setup) => {
      const { attempt, expected } = await setup();
      const before = { storage: await storage(), rows: await rows() };
      const outcome = await attempt();
      expect(outcome === 'dropped' ? outcome : outcome.status).toBe(expected);
      // The client's next request (on the same connection, if the answer kept it open) is served.
      expect(await send(port, { method: 'GET', path: '/health/live', headers: {}, chunks: [] })).toMatchObject({ status: 200 });
      // A dropped connection is noticed by the server a moment later.
      await until('the upload to be aborted', async () => (await incompleteUploads()).length === 0);
      expect({ storage: await storage(), rows: await rows() }).toEqual(before);
    });
  });
});
