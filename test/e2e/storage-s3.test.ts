import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BLOB_STORE } from '../../src/storage/blob-store.js';
import type { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { StorageSweeper } from '../../src/storage/storage-sweeper.js';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { localPath, putBytes, randomFile, sha256 } from '../support/upload.js';

describe('artifacts on the S3 driver, against s3rver (SPEC §7)', () => {
  let s3: TestS3;
  let t: TestApp;
  let acme: TestAccount;
  let releaseId: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const objects = async () => {
    const store = t.app.get<S3BlobStore>(BLOB_STORE);
    const page = await store.client.send(new ListObjectsV2Command({ Bucket: 'keyshelf-test' }));
    return (page.Contents ?? []).map((object) => object.Key!);
  };
  /** The stored objects of one artifact (keys are `{account}/{artifact}.{upload}`). */
  const objectsOf = async (artifactId: string) => (await objects()).filter((key) => key.startsWith(`${acme.id}/${artifactId}.`));
  const newArtifact = async (attributes: Record<string, unknown>) => {
    const res = await admin()
      .post(`${acme.base}/artifacts`)
      .set('Prefer', 'no-redirect')
      .send(doc('artifacts', attributes, { release: { data: { type: 'releases', id: releaseId } } }))
      .expect(200);
    return { id: res.body.data.id as string, upload: res.headers.location as string };
  };

  beforeAll(async () => {
    s3 = await startS3();
    t = await startApp({ ...s3.env, SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    const product = await catalog(t, acme).product({ name: 'App', distributionStrategy: 'OPEN' });
    releaseId = (
      await admin()
        .post(`${acme.base}/releases`)
        .send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: { data: { type: 'products', id: product.id } } }))
        .expect(201)
    ).body.data.id;
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
  });

  it('creates the bucket and reports ready', async () => {
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.checks.storage).toBe('ok');
  });

  it.each([
    ['a small file (one PutObject)', 300_000],
    ['a file over the part size (multipart)', 20 * 1024 * 1024 + 123],
  ])('stores %s byte-exact and downloads it through a presigned URL', async (_, size) => {
    const bytes = randomFile(size);
    const artifact = await newArtifact({ filename: `file-${size}.bin`, checksum: sha256(bytes), filesize: size });
    await putBytes(t, artifact.upload, bytes).expect(200);
    expect(await objectsOf(artifact.id)).toHaveLength(1);
    const res = await t.as(null).get(`${acme.base}/artifacts/${artifact.id}`).expect(303);
    const location = new URL(res.headers.location);
    expect(location.origin).toBe(s3.env.S3_ENDPOINT);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
    const download = await fetch(location);
    expect(download.status).toBe(200);
    const body = Buffer.from(await download.arrayBuffer());
    expect(body.length).toBe(size);
    expect(sha256(body)).toBe(sha256(bytes));
    expect(download.headers.get('content-disposition')).toContain(`filename="file-${size}.bin"`);
  });

  it('keeps nothing when the checksum does not match', async () => {
    const bytes = randomFile(9 * 1024 * 1024);
    const artifact = await newArtifact({ filename: 'bad.bin', checksum: sha256(Buffer.from('other')) });
    await putBytes(t, artifact.upload, bytes).expect(422);
    expect(await objectsOf(artifact.id)).toEqual([]);
    const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
    expect(shown.body.data.attributes.status).toBe('FAILED');
  });

  it('a dropped upload leaves no object and the artifact WAITING; the sweep removes unreferenced objects', async () => {
    const artifact = await newArtifact({ filename: 'dropped.bin' });
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: localPath(artifact.upload), headers: { 'Content-Length': String(20 * 1024 * 1024) } });
      req.on('error', () => resolve());
      req.write(randomFile(9 * 1024 * 1024), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 300));
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await objectsOf(artifact.id)).toEqual([]);
    const shown = await admin().get(`${acme.base}/artifacts/${artifact.id}`).set('Prefer', 'no-download').expect(200);
    expect(shown.body.data.attributes.status).toBe('WAITING');

    const deleted = await newArtifact({ filename: 'to-delete.bin' });
    await putBytes(t, deleted.upload, randomFile(1000)).expect(200);
    // Simulate a crash between storing bytes and recording them: the row goes, the object stays.
    await t.db.query('DELETE FROM artifacts WHERE id = $1', [deleted.id]);
    expect(await objectsOf(deleted.id)).toHaveLength(1);
    const report = await t.app.get(StorageSweeper).sweep(0);
    expect(report.removedBlobs).toBeGreaterThanOrEqual(1);
    expect(await objectsOf(deleted.id)).toEqual([]);
  });
});
