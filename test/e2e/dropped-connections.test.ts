import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { footprint } from '../support/footprint.js';
import { until } from '../support/instances.js';
import { twineFields, twineForm, wheel } from '../support/pypi.js';
import { stalledUpload, type UploadPath } from '../support/stalled-upload.js';
import { binary, localPath } from '../support/upload.js';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * SPEC §7, §10: a client that goes away in the middle of an upload (on each upload path) leaves
 * no row, no stored bytes and no temporary file; one that goes away in the middle of a download
 * costs nothing; and the server goes on serving either way.
 */
describe('client connections dropped mid-transfer', () => {
  let t: TestApp;
  let acme: TestAccount;
  let port: number;
  let releaseId: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const tmpFiles = async () => readdir(join(t.config.dataDir, 'storage', 'tmp')).catch(() => []);
  const file = Buffer.alloc(8 * MiB);
  for (let i = 0; i < file.length; i += 1024) file[i] = (i / 1024) % 256;

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0', PYPI_UPSTREAM_URL: '' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    acme = await createAccount(t, { slug: 'acme' });
    const product = await catalog(t, acme).product({ name: 'App', code: 'app' });
    releaseId = (await admin().post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: { data: { type: 'products', id: product.id } } })).expect(201)).body.data.id;
    await admin().put(`${acme.base}/engines/generic/dl/1.0.0/dl.bin?product=app`).send(file).expect(201);
  });
  afterAll(() => t.close());

  const targets: Record<UploadPath, () => Promise<{ url: string; authorization?: string; retry: () => Promise<number> }>> = {
    'artifact PUT': async () => {
      const created = await admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'big.bin' }, { release: { data: { type: 'releases', id: releaseId } } })).expect(200);
      const url = localPath(created.headers.location);
      return { url, retry: async () => (await t.http.put(url).send(Buffer.alloc(MiB, 1))).status };
    },
    'twine POST': async () => ({
      url: `${acme.base}/products/app/engines/pypi`,
      authorization: bearer(acme.adminToken),
      retry: async () => {
        const bytes = wheel('big', '1.0.0');
        return (await twineForm(admin().post(`${acme.base}/products/app/engines/pypi`), { filename: 'big-1.0.0-py3-none-any.whl', bytes }, twineFields('big', '1.0.0', bytes, 'bdist_wheel'))).status;
      },
    }),
    'generic PUT': async () => ({
      url: `${acme.base}/engines/generic/blob/1.0.0/big.bin?product=app`,
      authorization: bearer(acme.adminToken),
      retry: async () => (await admin().put(`${acme.base}/engines/generic/blob/1.0.0/big.bin?product=app`).send(Buffer.alloc(MiB, 1))).status,
    }),
  };

  it.each<UploadPath>(['artifact PUT', 'twine POST', 'generic PUT'])('%s: the client goes away mid-upload → no row, no bytes, no temporary file', async (path) => {
    const target = await targets[path]();
    const before = await footprint(t);
    const socket = await stalledUpload(port, t.config.dataDir, path, target, 8 * MiB, 2 * MiB);
    socket.destroy();
    await until('the staged upload to be removed', async () => ((await tmpFiles()).length === 0 ? true : undefined), 10_000);
    expect(await footprint(t)).toEqual(before);
    expect([200, 201]).toContain(await target.retry());
  });

  it.each([
    ['the generic registry', () => `${acme.base}/engines/generic/dl/1.0.0/dl.bin`],
    ['a signed download URL', async () => localPath((await admin().get(`${acme.base}/artifacts/dl.bin`).set('Prefer', 'no-redirect').expect(200)).headers.location)],
  ])('%s: clients going away mid-download cost nothing, and the next download is whole', async (_, url) => {
    const path = await url();
    const dropped = await Promise.all(
      Array.from({ length: 5 }, () => {
        const socket = connect(port, '127.0.0.1');
        let received = 0;
        return new Promise<number>((resolve) => {
          socket.on('error', () => resolve(received));
          socket.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > 256 * 1024) {
              socket.destroy();
              resolve(received);
            }
          });
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${bearer(acme.adminToken)}\r\n\r\n`);
        });
      }),
    );
    for (const received of dropped) expect(received).toBeLessThan(file.length);
    const whole = await admin().get(path).buffer(true).parse(binary as never).expect(200);
    expect(sha256(whole.body as Buffer)).toBe(sha256(file));
    await t.http.get('/health/ready').expect(200);
  });
});
