import type { AddressInfo } from 'node:net';
import { createConnection } from 'node:net';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { localPath, putBytes, randomFile } from '../support/upload.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Reads HTTP/1.1 responses (all with Content-Length) off a byte stream as it arrives. */
class ResponseReader {
  readonly responses: RawResponse[] = [];
  private head = Buffer.alloc(0);
  private current: { status: number; headers: Record<string, string>; length: number; chunks: Buffer[]; received: number } | null = null;

  push(chunk: Buffer): void {
    while (chunk.length > 0) {
      if (!this.current) {
        this.head = Buffer.concat([this.head, chunk]);
        const end = this.head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = this.head.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        this.current = { status: Number(statusLine.split(' ')[1]), headers, length: Number(headers['content-length'] ?? 0), chunks: [], received: 0 };
        chunk = this.head.subarray(end + 4);
        this.head = Buffer.alloc(0);
      }
      const take = chunk.subarray(0, this.current.length - this.current.received);
      this.current.chunks.push(take);
      this.current.received += take.length;
      chunk = chunk.subarray(take.length);
      if (this.current.received === this.current.length) {
        this.responses.push({ status: this.current.status, headers: this.current.headers, body: Buffer.concat(this.current.chunks) });
        this.current = null;
      }
    }
  }
}

/**
 * Sends requests on one keep-alive connection in one write, reads nothing for a moment (so the
 * first response, a large download, is still being written while the others are handled),
 * then reads until as many responses as requests arrived, or gives up after 20 s.
 */
function onOneConnection(port: number, requests: string[]): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(port, '127.0.0.1');
    const reader = new ResponseReader();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`only ${reader.responses.length} of ${requests.length} answers arrived on the connection`));
    }, 20_000);
    socket.on('connect', () => {
      socket.pause();
      socket.write(requests.join(''));
      setTimeout(() => socket.resume(), 500);
    });
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk);
      if (reader.responses.length === requests.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reader.responses);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const get = (path: string, headers: Record<string, string> = {}) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

/** Defect 15: an error answer on a reused connection is written once the previous answer is done. */
describe('answers on a keep-alive connection', () => {
  let t: TestApp;
  let acme: TestAccount;
  let port: number;
  const SIZE = 16 * 1024 * 1024;
  const files = { download: '', hiddenArtifact: '', hiddenName: 'hidden.bin' };

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const admin = t.as(bearer(acme.adminToken));
    const upload = async (productId: string, filename: string) => {
      const release = await admin.post(`${acme.base}/releases`).send(doc('releases', { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: { data: { type: 'products', id: productId } } })).expect(201);
      const artifact = await admin.post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename }, { release: { data: { type: 'releases', id: release.body.data.id } } })).expect(200);
      await putBytes(t, artifact.headers.location, randomFile(SIZE)).expect(200);
      return artifact.body.data.id as string;
    };
    const open = await upload((await c.product({ name: 'Open', distributionStrategy: 'OPEN' })).id, 'big.bin');
    files.hiddenArtifact = await upload((await c.product({ name: 'Licensed' })).id, files.hiddenName);
    const download = await t.as(null).get(`${acme.base}/artifacts/${open}`).set('Prefer', 'no-redirect').expect(200);
    files.download = localPath(download.headers.location);
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it.each([
    ['GET /products/<unknown id> as admin → 404', () => get(`${acme.base}/products/6f1c1e9e-5c3b-4a7e-9d43-2b7a2f0c1a11`, { Authorization: bearer(acme.adminToken) }), 404],
    ['an anonymous vanity URL of a hidden artifact → 404', () => get(`${acme.base}/artifacts/${files.hiddenArtifact}/${files.hiddenName}`), 404],
    ['a request without credentials on a closed route → 401', () => get(`${acme.base}/products`), 401],
    ['a malformed page parameter → 400', () => get(`${acme.base}/releases?page[size]=0`), 400],
  ])('a download, then %s: both answers arrive', async (_, second, status) => {
    const [download, error] = await onOneConnection(port, [get(files.download), second()]);
    expect(download.status).toBe(200);
    expect(download.body.length).toBe(SIZE);
    expect(error.status).toBe(status);
    expect(JSON.parse(error.body.toString('utf8')).errors[0].code).toBeDefined();
    expect(error.headers['x-request-id']).toBeDefined();
  });

  it('three requests, the error in the middle: all three answers arrive, in order', async () => {
    const [first, second, third] = await onOneConnection(port, [get(files.download), get(`${acme.base}/products`), get(files.download)]);
    expect([first.status, second.status, third.status]).toEqual([200, 401, 200]);
    expect(third.body.length).toBe(SIZE);
  });
});
