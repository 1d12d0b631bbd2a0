import { jest } from '@jest/globals';
import { connect, type AddressInfo } from 'node:net';
import { HotPath } from '../../src/hot-path/hot-path.js';
import { createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { releaseFixtures } from '../support/releases.js';

/**
 * Requests on which the hot path and Nest's full pipeline must agree (the hot path's own claim:
 * every answer identical), sent as raw bytes where a client library would rewrite them.
 */
describe('hot path against the full pipeline: raw request targets and bodies', () => {
  let t: TestApp;
  let acme: TestAccount;
  let port: number;

  const SIG = 'untrusted comment: signature from tauri secret key\nRUSsig\ntrusted comment: timestamp:1\tfile:x\nglobal==';

  beforeAll(async () => {
    t = await startApp({ PUBLIC_URL: 'http://keyshelf.test' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const f = releaseFixtures(t, acme);
    const app = (await c.product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' })).id;
    await f.release(app, '1.0.0');
    await f.release(app, '1.1.0');
    const desk = (await c.package(app, { key: 'desk', engine: 'tauri' })).id;
    await f.release(app, '2.0.0', {}, desk);
    const next = await f.release(app, '2.1.0', {}, desk);
    await f.artifact(next, { filename: 'Desk_x64.AppImage.tar.gz', platform: 'linux', arch: 'x86_64', signature: Buffer.from(SIG).toString('base64') }, Buffer.from('desk'));
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  }, 120_000);
  afterAll(() => t?.close());

  const hotPath = () => t.app.get(HotPath) as unknown as { match: (...args: unknown[]) => unknown };

  /** One request as raw bytes; the status line and body (headers that always differ left out). */
  const raw = (head: string, body = Buffer.alloc(0)) =>
    new Promise<{ status: string; body: string }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const [headPart, ...rest] = text.split('\r\n\r\n');
        resolve({ status: headPart.split('\r\n')[0], body: rest.join('\r\n\r\n').replace(/"id":"[0-9a-f-]{36}"/, '"id":"…"') });
      });
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });

  const throughNest = async <T>(work: () => Promise<T>): Promise<T> => {
    const spy = jest.spyOn(hotPath(), 'match').mockReturnValue(null);
    try {
      return await work();
    } finally {
      spy.mockRestore();
    }
  };

  const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: keyshelf.test\r\nConnection: close\r\n${headers}\r\n`;

  it.each([
    ['an upgrade lookup with a "#" in its path', () => `${acme.base}/releases/1.0.0#x/upgrade?product=app`],
    ['a PyPI index with a "#" in its account segment', () => `/v1/accounts/acme#x/engines/pypi/simple/`],
  ])('%s: the same answer as the full pipeline', async (_name, target) => {
    const hot = await raw(get(target()));
    const full = await throughNest(() => raw(get(target())));
    expect(hot).toEqual(full);
  });

  it.each([
    ['gzip-encoded', 'Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n'],
    ['latin1', 'Content-Type: application/json; charset=latin1\r\nContent-Length: 0\r\n'],
  ])('a GET with an empty %s JSON body: the same answer as the full pipeline', async (_name, headers) => {
    const target = `${acme.base}/releases/1.0.0/upgrade?product=app`;
    const hot = await raw(get(target, headers));
    const full = await throughNest(() => raw(get(target, headers)));
    expect(hot.status).toBe(full.status);
  });
});
