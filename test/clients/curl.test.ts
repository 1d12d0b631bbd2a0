import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { curl as curlWith, fileSha256, header } from '../support/curl.js';
import { startS3, type TestS3 } from '../support/s3.js';

const run = promisify(execFile);
const SIZE = 50 * 1024 * 1024;
/** The flow reads statuses and headers; bodies are discarded. */
const curl = (args: string[]) => curlWith(args, { discardBody: true });

describe.each([
  ['filesystem', false],
  ['S3 (s3rver)', true],
])('the curl flow of a 50 MB release on the %s driver (issue: Done when)', (_, useS3) => {
  let s3: TestS3 | null = null;
  let t: TestApp;
  let acme: TestAccount;
  let base: string;
  let dir: string;
  let file: string;
  let goldKey: string;
  let plainKey: string;
  let productId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyshelf-curl-'));
    file = join(dir, 'app-2.0.0.tar.gz');
    await writeFile(file, randomBytes(SIZE));
    if (useS3) s3 = await startS3();
    t = await startApp({ ...(s3?.env ?? {}), SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    acme = await createAccount(t, { slug: 'acme' });
    base = `http://127.0.0.1:${port}${acme.base}`;
    const c = catalog(t, acme);
    productId = (await c.product({ name: 'App', code: 'app' })).id;
    const gold = await c.entitlement('GOLD');
    const policy = await c.policy(productId);
    const goldLicense = await c.license(policy.id);
    await c.attach(`licenses/${goldLicense.id}`, [gold.id]);
    goldKey = goldLicense.attributes.key as string;
    plainKey = (await c.license(policy.id)).attributes.key as string;
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('admin creates, uploads through the 307, publishes; the entitled license downloads identical bytes, others get 404', async () => {
    const auth = ['-H', `Authorization: Bearer ${acme.adminToken}`, '-H', 'Content-Type: application/vnd.api+json'];
    const release = await run('curl', ['-sS', ...auth, `${base}/releases`, '-d', JSON.stringify(doc('releases', { version: '2.0.0', channel: 'stable' }, { product: { data: { type: 'products', id: 'app' } } }))]);
    const releaseId = JSON.parse(release.stdout).data.id as string;
    await run('curl', ['-sS', '-f', ...auth, `${base}/releases/${releaseId}/constraints`, '-d', JSON.stringify({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: 'GOLD' } } } }] })]);

    const created = await curl([...auth, `${base}/artifacts`, '-d', JSON.stringify(doc('artifacts', { filename: 'app-2.0.0.tar.gz', filesize: SIZE, checksum: await fileSha256(file) }, { release: { data: { type: 'releases', id: releaseId } } }))]);
    expect(created.status).toBe(307);
    const upload = header(created.headers, 'location')!;
    const put = await curl(['-X', 'PUT', '--upload-file', file, upload]);
    expect(put.status).toBe(200);

    const published = await curl([...auth, '-X', 'POST', `${base}/releases/${releaseId}/actions/publish`]);
    expect(published.status).toBe(200);

    const out = join(dir, 'downloaded.tar.gz');
    const download = await run('curl', ['-sS', '-L', '-u', `license:${goldKey}`, '-o', out, '-w', '%{http_code} %{num_redirects}', `${base}/artifacts/app-2.0.0.tar.gz`]);
    expect(download.stdout).toBe('200 1');
    expect(await fileSha256(out)).toBe(await fileSha256(file));

    expect((await curl(['-u', `license:${plainKey}`, `${base}/artifacts/app-2.0.0.tar.gz`])).status).toBe(404);
    expect((await curl([`${base}/artifacts/app-2.0.0.tar.gz`])).status).toBe(404);
    expect((await curl(['-H', `Authorization: License ${goldKey}`, `${base}/artifacts/app-2.0.0.tar.gz`])).status).toBe(303);
  }, 120_000);
});
