import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { loadConfig } from '../../src/config/config.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { releaseFixtures } from '../support/releases.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { randomFile, sha256 } from '../support/upload.js';

/** `20261201T150500Z` → a Date. */
const amzDate = (value: string) => new Date(value.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

describe('presigned downloads signed for S3_PUBLIC_ENDPOINT (SPEC §7, §9)', () => {
  let s3: TestS3;
  let t: TestApp;
  let acme: TestAccount;
  let publicEndpoint: string;

  /** What a client configured with `endpoint` presigns for the same request at the same instant. */
  const presignedBy = (endpoint: string, location: URL) =>
    getSignedUrl(
      new S3Client({
        region: s3.env.S3_REGION,
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.env.S3_ACCESS_KEY_ID, secretAccessKey: s3.env.S3_SECRET_ACCESS_KEY },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
      new GetObjectCommand({
        Bucket: s3.env.S3_BUCKET,
        Key: decodeURIComponent(location.pathname.slice(`/${s3.env.S3_BUCKET}/`.length)),
        ResponseContentType: location.searchParams.get('response-content-type')!,
        ResponseContentDisposition: location.searchParams.get('response-content-disposition')!,
      }),
      { expiresIn: Number(location.searchParams.get('X-Amz-Expires')), signingDate: amzDate(location.searchParams.get('X-Amz-Date')!) },
    );

  beforeAll(async () => {
    s3 = await startS3();
    // The server reaches the store at 127.0.0.1 (like `minio:9000` inside compose); clients
    // reach the same store under another name (like `localhost:9000` on the host).
    publicEndpoint = s3.env.S3_ENDPOINT.replace('127.0.0.1', 'localhost');
    t = await startApp({ ...s3.env, S3_PUBLIC_ENDPOINT: publicEndpoint, SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
  });

  it('redirects to the public host, signed for it, and the store serves the bytes to plain HTTP', async () => {
    const product = await catalog(t, acme).product({ name: 'App', distributionStrategy: 'OPEN' });
    const fixtures = releaseFixtures(t, acme);
    const bytes = randomFile(200_000);
    const artifactId = await fixtures.artifact(await fixtures.release(product.id, '1.0.0'), { filename: 'app.tar.gz', checksum: sha256(bytes) }, bytes);

    // Uploads went through the server's own endpoint; the download points at the public one.
    const res = await t.as(null).get(`${acme.base}/artifacts/${artifactId}`).expect(303);
    const location = new URL(res.headers.location);
    expect(location.origin).toBe(publicEndpoint);
    expect(location.pathname).toMatch(new RegExp(`^/${s3.env.S3_BUCKET}/${acme.id}/${artifactId}\\.`));

    // s3rver accepts any signature, so check it here: the URL is exactly what a client built on
    // the public endpoint signs at that instant, and differs from one signed for the server's.
    expect(location.href).toBe(await presignedBy(publicEndpoint, location));
    const internal = new URL(await presignedBy(s3.env.S3_ENDPOINT, location));
    expect(internal.searchParams.get('X-Amz-Signature')).not.toBe(location.searchParams.get('X-Amz-Signature'));

    const download = await fetch(location, { redirect: 'error' });
    expect(download.status).toBe(200);
    const body = Buffer.from(await download.arrayBuffer());
    expect(body.length).toBe(bytes.length);
    expect(sha256(body)).toBe(sha256(bytes));
    expect(download.headers.get('content-disposition')).toContain('filename="app.tar.gz"');
  });
});

describe('instances starting together on an empty store (SPEC §9)', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.close();
  });

  it('all start, and the bucket exists once', async () => {
    const config = loadConfig({ ...s3.env, S3_BUCKET: 'fresh-bucket' });
    const stores = Array.from({ length: 4 }, () => new S3BlobStore(config.storage.s3));
    expect(await stores[0].ready()).toBe(false);
    await expect(Promise.all(stores.map((store) => store.ensureBucket()))).resolves.toHaveLength(4);
    for (const store of stores) expect(await store.ready()).toBe(true);
  });
});
