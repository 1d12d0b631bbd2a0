import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, startApp, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { curl, fileSha256, header } from '../support/curl.js';
import { startS3, type TestS3 } from '../support/s3.js';

/**
 * Gitea's generic registry documentation, run with real curl against a live server (SPEC §6.3,
 * issue "Done when"): its commands with our base path and credentials — a product token as the
 * Basic password, a license key as `license:<key>` — on both storage drivers. With object
 * storage a download is a 303 to a presigned URL, so the download commands add `-L`.
 */
describe.each([
  ['filesystem', false],
  ['S3 (s3rver)', true],
])('the generic registry with curl on the %s driver', (_, useS3) => {
  let s3: TestS3 | null = null;
  let t: TestApp;
  let base: string;
  let dir: string;
  let token: string;
  let licenseKey: string;
  const follow = useS3 ? ['-L'] : [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyshelf-generic-curl-'));
    if (useS3) s3 = await startS3();
    t = await startApp({ ...(s3?.env ?? {}), SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const acme = await createAccount(t, { slug: 'acme' });
    base = `http://127.0.0.1:${port}/v1/accounts/acme/engines/generic`;
    const c = catalog(t, acme);
    const product = await c.product({ name: 'App', code: 'app' });
    token = await c.token(`products/${product.id}`);
    licenseKey = (await c.license((await c.policy(product.id)).id)).attributes.key as string;
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes with --upload-file, downloads byte-identical with -o, a range with -r, and refuses a second upload (409)', async () => {
    const file = join(dir, 'file.bin');
    // Over S3's 8 MiB part size, so object storage takes it as a multipart upload.
    await writeFile(file, randomBytes(20 * 1024 * 1024 + 123));
    const url = `${base}/test_package/1.0.0/file.bin`;

    const published = await curl(['--user', `ci:${token}`, '--upload-file', file, url]);
    expect(published.status).toBe(201);

    const out = join(dir, 'downloaded.bin');
    const download = await curl([...follow, '--user', `license:${licenseKey}`, '-o', out, url]);
    expect(download.status).toBe(200);
    expect(await fileSha256(out)).toBe(await fileSha256(file));
    expect(header(download.headers, 'content-disposition')).toMatch(/^attachment; filename="file\.bin"/);

    // Without -L: the bytes themselves on the filesystem, a presigned URL of the object store on S3.
    const direct = await curl(['--user', `license:${licenseKey}`, '-o', '/dev/null', url]);
    expect(direct.status).toBe(useS3 ? 303 : 200);
    if (s3) expect(new URL(header(direct.headers, 'location')!).origin).toBe(s3.env.S3_ENDPOINT);

    const part = join(dir, 'part.bin');
    const first = await curl([...follow, '--user', `license:${licenseKey}`, '-r', '0-99', '-o', part, url]);
    expect(first.status).toBe(206);
    expect((await readFile(part)).equals((await readFile(file)).subarray(0, 100))).toBe(true);
    // A suffix range is the API's own on the filesystem driver; s3rver reads `bytes=-N` as `bytes=0-N`.
    if (!useS3) {
      const last = await curl(['--user', `license:${licenseKey}`, '-r', '-100', '-o', part, url]);
      expect(last.status).toBe(206);
      expect((await readFile(part)).equals((await readFile(file)).subarray(-100))).toBe(true);
    }

    const again = await curl(['--user', `ci:${token}`, '--upload-file', file, '-o', '/dev/null', url]);
    expect(again.status).toBe(409);
  }, 120_000);

  it('asks anonymous curl for credentials with a Basic challenge', async () => {
    const res = await curl(['-o', '/dev/null', `${base}/test_package/1.0.0/file.bin`]);
    expect(res.status).toBe(401);
    expect(header(res.headers, 'www-authenticate')).toBe('Basic realm="keyshelf"');
  });

  it('stores the exact bytes of --data-binary, sent with curl\'s default form content type', async () => {
    const file = join(dir, 'form-looking.bin');
    // Bytes a form decoder would mangle: separators, escapes, plus signs, line ends, NULs.
    await writeFile(file, Buffer.concat([Buffer.from('a=1&b=%20c+d\r\n\0'), randomBytes(64 * 1024)]));
    const url = `${base}/test_package/1.1.0/form-looking.bin`;
    const put = await curl(['-v', '--user', `ci:${token}`, '-X', 'PUT', '--data-binary', `@${file}`, '-o', '/dev/null', url]);
    expect(put.stderr).toMatch(/> Content-Type: application\/x-www-form-urlencoded/);
    expect(put.status).toBe(201);
    const out = join(dir, 'form-looking.out');
    expect((await curl([...follow, '--user', `license:${licenseKey}`, '-o', out, url])).status).toBe(200);
    expect(await fileSha256(out)).toBe(await fileSha256(file));
  });

  it('takes the first file of a form (-F)', async () => {
    const file = join(dir, 'form-part.bin');
    await writeFile(file, randomBytes(300_000));
    const url = `${base}/test_package/1.1.0/form-part.bin`;
    expect((await curl(['--user', `ci:${token}`, '-X', 'PUT', '-F', `file=@${file}`, '-o', '/dev/null', url])).status).toBe(201);
    const out = join(dir, 'form-part.out');
    expect((await curl([...follow, '--user', `license:${licenseKey}`, '-o', out, url])).status).toBe(200);
    expect(await fileSha256(out)).toBe(await fileSha256(file));
  });

  it('deletes a file and a version with -X DELETE', async () => {
    const file = join(dir, 'small.bin');
    await writeFile(file, 'small');
    const version = `${base}/test_package/2.0.0`;
    expect((await curl(['--user', `ci:${token}`, '--upload-file', file, '-o', '/dev/null', `${version}/a.bin`])).status).toBe(201);
    expect((await curl(['--user', `ci:${token}`, '--upload-file', file, '-o', '/dev/null', `${version}/b.bin`])).status).toBe(201);

    expect((await curl(['--user', `ci:${token}`, '-X', 'DELETE', `${version}/a.bin`])).status).toBe(204);
    expect((await curl(['--user', `license:${licenseKey}`, '-o', '/dev/null', `${version}/a.bin`])).status).toBe(404);
    expect((await curl(['--user', `ci:${token}`, '-X', 'DELETE', version])).status).toBe(204);
    expect((await curl(['--user', `license:${licenseKey}`, '-o', '/dev/null', `${version}/b.bin`])).status).toBe(404);
    expect((await curl(['--user', `ci:${token}`, '-X', 'DELETE', version])).status).toBe(404);
  });
});
