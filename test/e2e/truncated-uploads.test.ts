import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { footprint, genericUrl } from '../support/generic.js';
import { twineFields } from '../support/pypi.js';

/**
 * Multipart bodies that end early, break off or are malformed, on both engines that read them
 * (twine uploads and generic PUT): never a crash, a hang or a 5xx; a client still there gets a
 * 400, a client gone leaves no row and no file behind.
 */
describe('truncated and malformed multipart uploads', () => {
  let t: TestApp;
  let acme: TestAccount;
  let productAuth: string;
  let productToken: string;
  let port: number;

  beforeAll(async () => {
    t = await startApp({ MAX_UPLOAD_BYTES: String(256 * 1024), PYPI_UPSTREAM_URL: '', SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    productToken = await c.token(`products/${product.id}`);
    productAuth = basic('__token__', productToken);
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const BOUNDARY = 'keyshelfboundary';
  const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const filePart = (name: string, filename: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const twineHead = (name: string, version: string, filename: string, bytes: Buffer) =>
    Object.entries(twineFields(name, version, bytes, 'sdist'))
      .map(([key, value]) => field(key, value!))
      .join('') + filePart('content', filename);

  /**
   * Sends a request on a raw socket. `declared` is the Content-Length (defaults to the body's
   * length); `gone` destroys the socket after the body was written (150 ms later, or after as many
   * ms as it says), instead of waiting for the answer. Resolves with the status line and body, or
   * null when the client left.
   */
  function raw(method: string, path: string, auth: string, contentType: string, body: Buffer, options: { declared?: number; gone?: boolean | number } = {}): Promise<{ status: number; text: string } | null> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no answer within 10 s'));
      }, 10_000);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        if (options.gone !== undefined && options.gone !== false) return resolve(null);
        const text = Buffer.concat(chunks).toString('latin1');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        resolve({ status, text });
      });
      socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nContent-Type: ${contentType}\r\n` +
          `Content-Length: ${options.declared ?? body.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(body, () => {
        if (options.gone !== undefined && options.gone !== false) setTimeout(() => socket.destroy(), options.gone === true ? 150 : options.gone);
      });
    });
  }

  const alive = async () => {
    const res = await t.as(bearer(acme.adminToken)).get(`${acme.base}/products`);
    expect(res.status).toBe(200);
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));
  /**
   * The footprint once the server has cleaned up after a refused or abandoned upload: removing
   * what was staged can finish after the answer (or after the client left), later on the
   * embedded database, whose one connection queues the handler's last statements. Polls until it
   * matches or 30 s pass, and returns what it saw last.
   */
  const settledFootprint = async (expected: Awaited<ReturnType<typeof footprint>>) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = await footprint(t);
      if (JSON.stringify(seen) === JSON.stringify(expected) || Date.now() > deadline) return seen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const pypi = () => `${acme.base}/engines/pypi/`;
  const generic = (file: string) => `${genericUrl(acme, 'cut', '1.0.0', file)}?product=app`;
  const multipart = `multipart/form-data; boundary=${BOUNDARY}`;
  const payload = Buffer.alloc(40_000, 5);

  describe('a body that ends before its closing boundary, the client still waiting', () => {
    it('twine upload: 400 BODY_INVALID in plain text, nothing kept, the server still serves', async () => {
      const before = await footprint(t);
      const body = Buffer.concat([Buffer.from(twineHead('cut', '1.0', 'cut-1.0.tar.gz', payload)), payload]);
      const res = await raw('POST', pypi(), productAuth, multipart, body);
      expect(res!.status).toBe(400);
      expect(res!.text).toMatch(/Content-Type: text\/plain/i);
      expect(res!.text).toMatch(/malformed or ended early/);
      await settle();
      await alive();
      expect(await settledFootprint(before)).toEqual(before);
    });

    it('twine upload ending right where the file part begins (before its consumer is attached): 400, the server still serves', async () => {
      const before = await footprint(t);
      for (let i = 0; i < 3; i++) {
        const res = await raw('POST', pypi(), productAuth, multipart, Buffer.from(twineHead('edge', '1.0', 'edge-1.0.tar.gz', payload)));
        expect(res!.status).toBe(400);
      }
      await settle();
      await alive();
      expect(await settledFootprint(before)).toEqual(before);
    });

    it('generic PUT of a form ending right where its file part begins: 400, nothing kept, the server still serves', async () => {
      const before = await footprint(t);
      for (let i = 0; i < 3; i++) {
        const res = await raw('PUT', generic('edge.bin'), bearer(acme.adminToken), multipart, Buffer.from(field('note', 'x') + filePart('file', 'edge.bin')));
        expect(res!.status).toBe(400);
        expect(res!.text).toMatch(/"code":"BODY_INVALID"/);
      }
      await settle();
      await alive();
      expect(await settledFootprint(before)).toEqual(before);
    });

    it('twine upload ending inside the fields, before the file: 400', async () => {
      const body = Buffer.from(field('name', 'cut') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="version"\r\n\r\n1.`);
      const res = await raw('POST', pypi(), productAuth, multipart, body);
      expect(res!.status).toBe(400);
      await alive();
    });

    it('generic PUT of a form: 400 BODY_INVALID as JSON:API, nothing kept, the server still serves', async () => {
      const before = await footprint(t);
      const body = Buffer.concat([Buffer.from(field('note', 'x') + filePart('file', 'f.bin')), payload]);
      const res = await raw('PUT', generic('cut.bin'), bearer(acme.adminToken), multipart, body);
      expect(res!.status).toBe(400);
      expect(res!.text).toMatch(/application\/vnd\.api\+json/);
      expect(res!.text).toMatch(/"code":"BODY_INVALID"/);
      await settle();
      await alive();
      expect(await settledFootprint(before)).toEqual(before);
    });
  });

  describe('a client that goes away in the middle of the file part', () => {
    it.each([
      ['twine upload', 'POST', () => pypi(), () => productAuth, () => Buffer.concat([Buffer.from(twineHead('gone', '1.0', 'gone-1.0.tar.gz', payload)), payload])],
      ['generic PUT', 'PUT', () => generic('gone.bin'), () => bearer(acme.adminToken), () => Buffer.concat([Buffer.from(filePart('file', 'f.bin')), payload])],
    ])('%s: no crash, no hang, no row and no file left', async (_, method, path, auth, body) => {
      const before = await footprint(t);
      for (let i = 0; i < 3; i++) {
        expect(await raw(method, path(), auth(), multipart, body(), { declared: 200_000, gone: true })).toBeNull();
      }
      await settle();
      await alive();
      expect(await settledFootprint(before)).toEqual(before);
      const [row] = await t.db.query(`SELECT count(*)::int AS n FROM package_filenames WHERE package_key = 'gone'`);
      expect(row.n).toBe(0);
    });

    it('twine upload: a client gone right after the file part began (before the upload is staged)', async () => {
      const before = await footprint(t);
      const head = Buffer.from(twineHead('early', '1.0', 'early-1.0.tar.gz', payload) + 'x');
      for (let i = 0; i < 5; i++) expect(await raw('POST', pypi(), productAuth, multipart, head, { declared: 200_000, gone: true })).toBeNull();
      await settle();
      await alive();
      expect(await settledFootprint(before)).toEqual(before);
    });
  });

  describe('a client that sent its whole body and left before parsing began', () => {
    // The route reads the body only after its lookups (the generic PUT after resolving the
    // package, twine after the guard): by then the request may be destroyed, its 'close' past.
    // Whether the upload got in before the client left is a race; either way nothing may stay staged or open.
    // Descriptors open on storage files (a leaked staged upload); sockets come and go with the pool,
    // the embedded database's files with the tables it touches.
    const openFds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(t.config.dataDir, 'storage'));
        } catch {
          return false;
        }
      }).length;
    const staged = () => (existsSync(join(t.config.dataDir, 'storage', 'tmp')) ? readdirSync(join(t.config.dataDir, 'storage', 'tmp')).length : 0);
    it.each([
      ['generic PUT', 'PUT', () => generic('left.bin'), () => basic('ci', productToken), () => Buffer.from(filePart('file', 'left.bin') + 'small body\r\n' + `--${BOUNDARY}--\r\n`)],
      [
        'twine upload',
        'POST',
        () => pypi(),
        () => productAuth,
        () => Buffer.from(twineHead('left', '1.0', 'left-1.0.tar.gz', Buffer.from('small body')) + 'small body\r\n' + `--${BOUNDARY}--\r\n`),
      ],
    ])('%s: the handler ends, no staged file and no descriptor left', async (_, method, path, auth, body) => {
      await alive();
      // What the suite's earlier cuts staged is removed as their handlers end: start from there.
      const settledBy = Date.now() + 30_000;
      while (staged() !== 0 && Date.now() < settledBy) await settle();
      const [fds, tmp] = [openFds(), staged()];
      expect(tmp).toBe(0);
      for (let i = 0; i < 5; i++) expect(await raw(method, path(), auth(), multipart, body(), { gone: 10 })).toBeNull();
      await alive();
      const deadline = Date.now() + 30_000;
      while ((staged() !== tmp || openFds() !== fds) && Date.now() < deadline) await settle();
      expect(staged()).toBe(tmp);
      expect(openFds()).toBe(fds);
    });
  });

  describe('malformed multipart heads', () => {
    it.each([
      ['no boundary', 'multipart/form-data'],
      ['an empty boundary', 'multipart/form-data; boundary='],
      ['a boundary the body never uses', 'multipart/form-data; boundary=other'],
      ['a boundary over 70 characters', `multipart/form-data; boundary=${'b'.repeat(200)}`],
    ])('%s: 400 BODY_INVALID on both engines, never a 5xx', async (_, contentType) => {
      const body = Buffer.concat([Buffer.from(twineHead('bad', '1.0', 'bad-1.0.tar.gz', payload)), payload, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
      const twine = await raw('POST', pypi(), productAuth, contentType, body);
      expect(twine!.status).toBe(400);
      expect(twine!.text).toMatch(/Content-Type: text\/plain/i);
      const put = await raw('PUT', generic('bad.bin'), bearer(acme.adminToken), contentType, body);
      expect(put!.status).toBe(400);
      expect(put!.text).toMatch(/"code":"(BODY_INVALID|FILE_MISSING)"/);
      await alive();
    });

    it('a part header over busboy\'s limit ("Malformed part header"): 400 BODY_INVALID on both engines', async () => {
      const body = Buffer.from(`${field('name', 'bad')}--${BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="bad-1.0.tar.gz"\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\nbytes\r\n--${BOUNDARY}--\r\n`);
      const twine = await raw('POST', pypi(), productAuth, multipart, body);
      expect(twine!.status).toBe(400);
      expect(twine!.text).toMatch(/^HTTP\/1\.1 400 The multipart\/form-data body could not be read/);
      const put = await raw('PUT', generic('bad.bin'), bearer(acme.adminToken), multipart, body);
      expect(put!.status).toBe(400);
      expect(put!.text).toMatch(/"code":"BODY_INVALID"/);
      await alive();
    });
  });
});
