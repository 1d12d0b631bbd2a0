import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOB_STORE } from '../../src/storage/blob-store.js';
import type { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { basic, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { assertPythonClients, buildProject, createVenv, run } from '../support/python.js';
import { startS3, type TestS3 } from '../support/s3.js';

/**
 * twine and pip against a server on object storage (SPEC §6.1, §7): twine's uploads stream
 * through the API into the bucket; pip follows the vanity URLs' 303s to URLs presigned for the
 * store's public endpoint, another host than the API's (`localhost` against `127.0.0.1`), so it
 * drops the license key it sends to the API, and the store — which, like AWS S3, refuses a
 * presigned request that also carries an Authorization header — serves the files.
 */
describe('twine and pip on object storage (s3rver)', () => {
  let s3: TestS3;
  let t: TestApp;
  let acme: TestAccount;
  let dir: string;
  let origin: string;
  let publicEndpoint: string;
  let productToken: string;
  let licenseKey: string;
  let dists: string[];
  let venv: Awaited<ReturnType<typeof createVenv>>;
  const index = () => `http://license:${licenseKey}@${origin.slice('http://'.length)}/v1/accounts/acme/engines/pypi/simple/`;
  const bucket = async () => {
    const client = t.app.get<S3BlobStore>(BLOB_STORE).client;
    const objects = await client.send(new ListObjectsV2Command({ Bucket: s3.env.S3_BUCKET }));
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.env.S3_BUCKET }));
    return { objects: (objects.Contents ?? []).length, incomplete: (uploads.Uploads ?? []).length };
  };

  beforeAll(async () => {
    await assertPythonClients();
    dir = await mkdtemp(join(tmpdir(), 'keyshelf-pypi-s3-'));
    s3 = await startS3();
    publicEndpoint = s3.env.S3_ENDPOINT.replace('127.0.0.1', 'localhost');
    t = await startApp({ ...s3.env, S3_PUBLIC_ENDPOINT: publicEndpoint, PYPI_UPSTREAM_URL: '', SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    productToken = await c.token(`products/${product.id}`);
    licenseKey = (await c.license((await c.policy(product.id)).id)).attributes.key as string;
    // Random package data: both files are larger than a part, so both go up as multipart uploads.
    dists = await buildProject(join(dir, 'project'), 'keyshelf-s3', '1.0.0', { value: 'from the bucket', data: randomBytes(9 * 1024 * 1024) });
    venv = await createVenv(join(dir, 'venv'));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('twine uploads a wheel and an sdist into the bucket, and again without change', async () => {
    const twine = () =>
      run('twine', ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', `${origin}/v1/accounts/acme/engines/pypi`, '-u', '__token__', '-p', productToken, ...dists]);
    const first = await twine();
    expect(first.code === 0 ? 'ok' : first.output).toBe('ok');
    expect(await bucket()).toEqual({ objects: 2, incomplete: 0 });
    expect((await twine()).code).toBe(0);
    expect(await bucket()).toEqual({ objects: 2, incomplete: 0 });
  }, 180_000);

  it('the file URLs redirect to another host than the API, which refuses forwarded credentials', async () => {
    const page = await t.as(basic('license', licenseKey)).get(`${acme.base}/engines/pypi/simple/keyshelf-s3/`).expect(200);
    const href = /href="([^"#]+\.whl)#/.exec(page.text)![1];
    const redirect = await t.as(basic('license', licenseKey)).get(new URL(href).pathname).expect(303);
    const location = new URL(redirect.headers.location);
    expect(location.origin).toBe(publicEndpoint);
    expect(location.host).not.toBe(new URL(origin).host);
    // A client that kept the Authorization header across the redirect would be refused.
    const forwarded = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--location-trusted', '-u', `license:${licenseKey}`, `${origin}${new URL(href).pathname}`]);
    expect(forwarded.output).toBe('400');
    const plain = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-L', '-u', `license:${licenseKey}`, `${origin}${new URL(href).pathname}`]);
    expect(plain.output).toBe('200');
  }, 60_000);

  it('pip installs with only a license key in the index URL, following the presigned redirects', async () => {
    const installed = await venv.pip(['install', '--index-url', index(), 'keyshelf-s3==1.0.0']);
    expect(installed.code === 0 ? 'ok' : installed.output).toBe('ok');
    expect(installed.output).not.toContain(licenseKey);
    const imported = await venv.python(['-c', 'import keyshelf_s3; print(keyshelf_s3.VALUE)']);
    expect(imported.output.trim()).toBe('from the bucket');
  }, 180_000);

  it('pip download gives the byte-identical wheel', async () => {
    const target = join(dir, 'downloads');
    const downloaded = await venv.pip(['download', '--no-deps', '--only-binary=:all:', '-d', target, '--index-url', index(), 'keyshelf-s3==1.0.0']);
    expect(downloaded.code === 0 ? 'ok' : downloaded.output).toBe('ok');
    const [file] = await readdir(target);
    expect(file).toBe('keyshelf_s3-1.0.0-py3-none-any.whl');
    expect((await readFile(join(target, file))).equals(await readFile(dists.find((built) => built.endsWith('.whl'))!))).toBe(true);
  }, 180_000);
});
