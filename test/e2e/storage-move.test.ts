import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { basic, createAccount, startApp, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';
import { twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { releaseFixtures } from '../support/releases.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { randomFile, sha256 } from '../support/upload.js';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/**
 * docs/deploy.md, "From the filesystem to a bucket": both drivers store a blob under the same key
 * (`{accountId}/{artifactId}.{uploadId}`, SPEC §7), so copying DATA_DIR/storage/blobs into the
 * bucket (`aws s3 sync`) and restarting with STORAGE_DRIVER=s3 serves every file from the bucket.
 */
describe('moving an installation from the filesystem driver to S3', () => {
  let databaseUrl: string;
  let dataDir: string;
  let s3: TestS3;
  let t: TestApp | null = null;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-move-'));
    s3 = await startS3();
  });
  afterAll(async () => {
    await t?.close();
    await s3.close();
    await dropTestDatabase(databaseUrl);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the files uploaded on the filesystem from the bucket they were copied to', async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0', PYPI_UPSTREAM_URL: '' }, { databaseUrl, dataDir });
    const acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ name: 'App', code: 'app' });
    const productToken = await c.token(`products/${product.id}`);
    const licenseKey = (await c.license((await c.policy(product.id)).id)).attributes.key as string;
    const fixtures = releaseFixtures(t, acme);
    const bytes = randomFile(200_000);
    const artifactId = await fixtures.artifact(await fixtures.release(product.id, '1.0.0'), { filename: 'app.tar.gz' }, bytes);
    const whl = wheel('moved', '1.0.0');
    await twineForm(t.as(basic('__token__', productToken)).post(`${acme.base}/engines/pypi`), { filename: wheelName('moved', '1.0.0'), bytes: whl }, twineFields('moved', '1.0.0', whl, 'bdist_wheel')).expect(201);
    await t.close();
    t = null;

    // `aws s3 sync $DATA_DIR/storage/blobs/ s3://$S3_BUCKET/`, done with the SDK.
    const client = new S3Client({
      region: s3.env.S3_REGION,
      endpoint: s3.env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.env.S3_ACCESS_KEY_ID, secretAccessKey: s3.env.S3_SECRET_ACCESS_KEY },
    });
    await client.send(new CreateBucketCommand({ Bucket: s3.env.S3_BUCKET }));
    const blobs = join(dataDir, 'storage', 'blobs');
    const files = await filesUnder(blobs);
    expect(files).toHaveLength(2);
    for (const file of files) await client.send(new PutObjectCommand({ Bucket: s3.env.S3_BUCKET, Key: relative(blobs, file), Body: await readFile(file) }));
    await rm(join(dataDir, 'storage'), { recursive: true });

    t = await startApp({ ...s3.env, SWEEP_INTERVAL_SECONDS: '0', PYPI_UPSTREAM_URL: '' }, { databaseUrl, dataDir });
    const license = basic('license', licenseKey);
    const download = await t.as(license).get(`${acme.base}/artifacts/${artifactId}`).expect(303);
    expect(new URL(download.headers.location).origin).toBe(s3.env.S3_ENDPOINT);
    expect(sha256(Buffer.from(await (await fetch(download.headers.location)).arrayBuffer()))).toBe(sha256(bytes));

    const page = await t.as(license).get(`${acme.base}/engines/pypi/simple/moved/`).expect(200);
    const href = new URL(/href="([^"#]+)#/.exec(page.text)![1]);
    const file = await t.as(license).get(href.pathname).expect(303);
    expect(sha256(Buffer.from(await (await fetch(file.headers.location)).arrayBuffer()))).toBe(sha256(whl));
  });
});
