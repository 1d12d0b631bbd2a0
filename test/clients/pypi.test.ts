import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { assertPythonClients, buildProject, createVenv, run } from '../support/python.js';

describe('real clients: twine uploads, pip installs with a license key (SPEC §6.1)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let dir: string;
  let origin: string;
  let productToken: string;
  let goldKey: string;
  let plainKey: string;
  let venv: Awaited<ReturnType<typeof createVenv>>;
  let dists: string[];

  const twine = (files: string[], extra: string[] = [], repository = `${origin}${acme.base}/engines/pypi`) =>
    run('twine', ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', repository, '-u', '__token__', '-p', productToken, ...extra, ...files]);
  const pip = (args: string[]) => venv.pip(args);
  const index = (key: string, product?: string) => `http://license:${key}@${origin.slice('http://'.length)}/v1/accounts/acme${product ? `/products/${product}` : ''}/engines/pypi/simple/`;

  beforeAll(async () => {
    await assertPythonClients();
    dir = await mkdtemp(join(tmpdir(), 'keyshelf-pypi-clients-'));
    t = await startApp({ PYPI_UPSTREAM_URL: '', SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    productToken = await c.token(`products/${product.id}`);
    const gold = await c.entitlement('GOLD');
    const policy = await c.policy(product.id);
    const goldLicense = await c.license(policy.id);
    await c.attach(`licenses/${goldLicense.id}`, [gold.id]);
    goldKey = goldLicense.attributes.key as string;
    plainKey = (await c.license(policy.id)).attributes.key as string;

    dists = await buildProject(join(dir, 'v1'), 'keyshelf-demo', '1.0.0', { value: 'first build' });
    venv = await createVenv(join(dir, 'venv'));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('twine uploads a wheel and an sdist with a product token; identical again succeeds; other bytes → 409; --skip-existing skips them', async () => {
    expect(dists.map((file) => file.split('/').pop())).toEqual(['keyshelf-demo-1.0.0.tar.gz', 'keyshelf_demo-1.0.0-py3-none-any.whl']);
    const first = await twine(dists);
    expect(first.code === 0 ? 'ok' : first.output).toBe('ok');
    expect((await twine(dists)).code).toBe(0);

    const rebuilt = await buildProject(join(dir, 'v1-rebuilt'), 'keyshelf-demo', '1.0.0', { value: 'other bytes' });
    const conflict = await twine(rebuilt);
    expect(conflict.code).not.toBe(0);
    expect(conflict.output).toMatch(/409/);
    expect(conflict.output).toMatch(/File already exists/);
    const skipped = await twine(rebuilt, ['--skip-existing']);
    expect(skipped.code).toBe(0);
    expect(skipped.output).toMatch(/Skipping/);

    // Only a license holding GOLD may read this release from now on.
    const admin = t.as(bearer(acme.adminToken));
    const release = await admin.get(`${acme.base}/releases/1.0.0?package=keyshelf-demo`).expect(200);
    const gold = await admin.get(`${acme.base}/entitlements/GOLD`).expect(200);
    await admin
      .post(`${acme.base}/releases/${release.body.data.id}/constraints`)
      .send({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: gold.body.data.id } } } }] })
      .expect(200);
  }, 180_000);

  it('pip installs and imports it with only a license key, through the account-level and the product-level index', async () => {
    for (const url of [index(goldKey), index(goldKey, 'app')]) {
      const installed = await pip(['install', '--index-url', url, 'keyshelf-demo==1.0.0']);
      expect(installed.code === 0 ? 'ok' : installed.output).toBe('ok');
      expect(installed.output).not.toContain(goldKey);
      const imported = await venv.python(['-c', 'import keyshelf_demo; print(keyshelf_demo.VALUE)']);
      expect(imported.output.trim()).toBe('first build');
      expect((await pip(['uninstall', '-y', 'keyshelf-demo'])).code).toBe(0);
    }
  }, 180_000);

  it('refuses a license without the entitlement', async () => {
    const refused = await pip(['install', '--index-url', index(plainKey), 'keyshelf-demo==1.0.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/403|No matching distribution/);
    expect((await venv.python(['-c', 'import keyshelf_demo'])).code).not.toBe(0);
  }, 180_000);

  it('pip download gives byte-identical files', async () => {
    // The wheel: pip would build an sdist's metadata, which needs more than this venv has.
    const target = join(dir, 'downloads');
    const downloaded = await pip(['download', '--no-deps', '--only-binary=:all:', '-d', target, '--index-url', index(goldKey), 'keyshelf-demo==1.0.0']);
    expect(downloaded.code === 0 ? 'ok' : downloaded.output).toBe('ok');
    const [file] = await readdir(target);
    expect(file).toBe('keyshelf_demo-1.0.0-py3-none-any.whl');
    expect((await readFile(join(target, file))).equals(await readFile(dists.find((built) => built.endsWith('.whl'))!))).toBe(true);
  }, 180_000);

  it('pip refuses a release whose Requires-Python excludes the running interpreter', async () => {
    const future = await buildProject(join(dir, 'future'), 'keyshelf-future', '1.0.0', { value: 'future', requiresPython: '>=4' });
    expect((await twine(future)).code).toBe(0);
    const page = await t.as(null).get(`${acme.base}/engines/pypi/simple/keyshelf-future/`).set('Authorization', `Basic ${Buffer.from(`license:${plainKey}`).toString('base64')}`);
    expect(page.text).toContain('data-requires-python="&gt;=4"');
    const refused = await pip(['install', '--index-url', index(plainKey), 'keyshelf-future==1.0.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toMatch(/Requires-Python/);
  }, 180_000);
});
