import { jest } from '@jest/globals';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { AuthGuard } from '../../src/auth/auth.guard.js';
import { poolOf } from '../../src/database/pool.js';
import { HotPath } from '../../src/hot-path/hot-path.js';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { rawExchange } from '../support/raw-http.js';
import { releaseFixtures } from '../support/releases.js';

/**
 * The hot path (src/hot-path): the routes installed software polls are served before Nest's
 * pipeline. Every answer must be the one the full pipeline gives, byte for byte and header for
 * header, for successes, conditional requests and errors alike; and concurrent requests share
 * their account reads and their event inserts without losing any.
 */
describe('hot path', () => {
  let t: TestApp;
  let acme: TestAccount;
  let licenseAuth: string;
  let adminAuth: string;

  const SIG = 'untrusted comment: signature from tauri secret key\nRUSsig\ntrusted comment: timestamp:1\tfile:x\nglobal==';

  beforeAll(async () => {
    // Every request reads its account (no coherence window): the tests below count those reads
    // and replace the connections under them.
    t = await startApp({ PUBLIC_URL: 'http://keyshelf.test', COHERENCE_WINDOW_MS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    adminAuth = bearer(acme.adminToken);
    const c = catalog(t, acme);
    const f = releaseFixtures(t, acme);
    const upload = async (path: string, name: string, version: string) => {
      const bytes = wheel(name, version);
      const res = await twineForm(t.as(adminAuth).post(path), { filename: wheelName(name, version), bytes }, twineFields(name, version, bytes, 'bdist_wheel'));
      expect(res.status).toBe(201);
    };
    const app = (await c.product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' })).id;
    await c.product({ name: 'Pro', code: 'pro', distributionStrategy: 'LICENSED' }).then(async (pro) => {
      const policy = await c.policy(pro.id);
      licenseAuth = basic('license', (await c.license(policy.id)).attributes.key as string);
      await upload(`${acme.base}/products/pro/engines/pypi`, 'secret', '1.0');
    });
    await upload(`${acme.base}/products/app/engines/pypi`, 'demo', '1.0');
    await upload(`${acme.base}/products/app/engines/pypi`, 'demo', '1.1');
    await f.release(app, '1.0.0');
    await f.release(app, '1.1.0', { description: 'Fixes' });
    const desk = (await c.package(app, { key: 'desk', engine: 'tauri' })).id;
    await f.release(app, '2.0.0', {}, desk);
    const next = await f.release(app, '2.1.0', { description: 'Desk fixes' }, desk);
    await f.artifact(next, { filename: 'Desk_x64.AppImage.tar.gz', platform: 'linux', arch: 'x86_64', signature: Buffer.from(SIG).toString('base64') }, Buffer.from('desk'));
  }, 120_000);
  afterAll(() => t?.close());

  const hotPath = () => t.app.get(HotPath) as unknown as { match: (...args: unknown[]) => unknown; serve: (...args: unknown[]) => Promise<void> };
  const HEADERS = ['content-type', 'content-length', 'etag', 'cache-control', 'vary', 'www-authenticate', 'location', 'x-request-id', 'allow'];

  interface Case {
    name: string;
    method?: 'get' | 'head';
    path: () => string;
    auth?: () => string | null;
    headers?: Record<string, string>;
    status: number;
  }
  const page = (project: string) => () => `${acme.base}/engines/pypi/simple/${project}/`;
  const cases: Case[] = [
    { name: 'a project page, HTML', path: page('demo'), status: 200 },
    { name: 'a project page, JSON', path: page('demo'), headers: { Accept: 'application/vnd.pypi.simple.v1+json' }, status: 200 },
    { name: 'a project page by ?format=', path: () => `${page('demo')()}?format=application/vnd.pypi.simple.v1%2Bjson`, status: 200 },
    { name: 'a project page, HEAD', method: 'head', path: page('demo'), status: 200 },
    { name: 'a product-level project page', path: () => `${acme.base}/products/app/engines/pypi/simple/demo/`, status: 200 },
    { name: 'the index', path: () => `${acme.base}/engines/pypi/simple/`, status: 200 },
    { name: 'the product-level index, with a license key', path: () => `${acme.base}/products/pro/engines/pypi/simple/`, auth: () => licenseAuth, status: 200 },
    { name: 'a hidden project, anonymous', path: page('secret'), status: 401 },
    { name: 'a hidden project, with a license key', path: page('secret'), auth: () => licenseAuth, status: 200 },
    { name: 'a hidden project, with a bad key', path: page('secret'), auth: () => basic('license', 'not-a-key'), status: 401 },
    { name: 'an unknown project', path: page('numpy'), status: 307 },
    { name: 'a project of another product', path: () => `${acme.base}/products/pro/engines/pypi/simple/demo/`, status: 404 },
    { name: 'an unknown account', path: () => '/v1/accounts/nobody/engines/pypi/simple/demo/', status: 404 },
    { name: 'an upgrade', path: () => `${acme.base}/releases/1.0.0/upgrade?product=app`, auth: () => adminAuth, status: 200 },
    { name: 'an upgrade, anonymous', path: () => `${acme.base}/releases/1.0.0/upgrade?product=app&channel=stable`, status: 200 },
    { name: 'no upgrade', path: () => `${acme.base}/releases/1.1.0/upgrade?product=app`, status: 404 },
    { name: 'an upgrade with a bad parameter', path: () => `${acme.base}/releases/1.0.0/upgrade?product=app&channel=nightly`, status: 400 },
    { name: 'an upgrade with a revoked-looking token', path: () => `${acme.base}/releases/1.0.0/upgrade?product=app`, auth: () => bearer('nope'), status: 401 },
    { name: 'a Tauri update', path: () => `${acme.base}/engines/tauri/desk?platform=linux&arch=x86_64&version=2.0.0`, status: 200 },
    { name: 'no Tauri update', path: () => `${acme.base}/engines/tauri/desk?platform=linux&arch=x86_64&version=2.1.0`, status: 204 },
    { name: 'a Tauri check without its parameters', path: () => `${acme.base}/engines/tauri/desk?platform=linux`, status: 400 },
    { name: 'a Tauri check of an unknown package', path: () => `${acme.base}/engines/tauri/nothing?platform=linux&arch=x86_64&version=1.0.0`, status: 404 },
    { name: 'a path with a NUL', path: () => `${acme.base}/engines/tauri/de%00sk?platform=linux&arch=x86_64&version=1.0.0`, status: 400 },
  ];

  const send = async (c: Case, extra: Record<string, string> = {}) => {
    let req = t.as(c.auth?.() ?? null)[c.method ?? 'get'](c.path()).set('X-Request-Id', 'hot-path-request-1');
    for (const [name, value] of Object.entries({ ...c.headers, ...extra })) req = req.set(name, value);
    const res = await req.buffer(true).parse((stream, done) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
    });
    return { status: res.status, headers: Object.fromEntries(HEADERS.map((name) => [name, res.headers[name]])), body: res.body as string };
  };

  /** Runs `work` with the hot path stepping aside, so that Nest serves everything. */
  const throughNest = async <T>(work: () => Promise<T>): Promise<T> => {
    const spy = jest.spyOn(hotPath(), 'match').mockReturnValue(null);
    try {
      return await work();
    } finally {
      spy.mockRestore();
    }
  };

  it.each(cases.map((c) => [c.name, c] as const))('%s: the same answer as the full pipeline', async (_name, c) => {
    const served = jest.spyOn(hotPath(), 'serve');
    try {
      const hot = await send(c);
      expect(served).toHaveBeenCalledTimes(1);
      const full = await throughNest(() => send(c));
      expect(served).toHaveBeenCalledTimes(1);
      expect(hot.status).toBe(c.status);
      expect(hot).toEqual(full);
      // Revalidation of pages too: the same ETag gets the same 304 either way.
      if (hot.status === 200 && hot.headers.etag && c.path().includes('/engines/pypi/')) {
        const again = await send(c, { 'If-None-Match': hot.headers.etag });
        const fullAgain = await throughNest(() => send(c, { 'If-None-Match': hot.headers.etag! }));
        expect(again.status).toBe(304);
        expect(again).toEqual(fullAgain);
      }
    } finally {
      served.mockRestore();
    }
  });

  it('leaves to Nest what it does not own: redirects to normalize, trailing slashes, other methods', async () => {
    const guard = jest.spyOn(t.app.get(AuthGuard), 'canActivate');
    try {
      const redirect = await t.as(null).get(`${acme.base}/engines/pypi/simple/Demo/`);
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe(`${acme.base}/engines/pypi/simple/demo/`);
      await t.as(null).post(`${acme.base}/engines/pypi/simple/demo/`).expect(405);
      await t.as(null).get(`${acme.base}/releases/1.0.0/upgrade/?product=app`).expect(200);
      expect(guard).toHaveBeenCalledTimes(1);
      await t.as(null).get(`${acme.base}/releases/actions/upgrade?product=app&version=1.0.0`).expect(200);
      expect(guard).toHaveBeenCalledTimes(2);
    } finally {
      guard.mockRestore();
    }
  });

  it("builds every request and response with Express's prototypes, so that none is moved (hot path and Nest alike)", async () => {
    const express = t.app.getHttpAdapter().getInstance() as { request: object; response: object };
    const seen: Array<{ url: string; request: boolean; response: boolean }> = [];
    const server = t.app.getHttpServer();
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ url: req.url ?? '', request: Object.getPrototypeOf(req) === express.request, response: Object.getPrototypeOf(res) === express.response });
    };
    server.prependListener('request', listener);
    try {
      expect((await t.as(null).get(`${acme.base}/engines/pypi/simple/demo/`)).status).toBe(200);
      expect((await t.as(adminAuth).get(`${acme.base}/products`)).status).toBe(200);
    } finally {
      server.removeListener('request', listener);
    }
    expect(seen).toEqual([
      { url: `${acme.base}/engines/pypi/simple/demo/`, request: true, response: true },
      { url: `${acme.base}/products`, request: true, response: true },
    ]);
  });

  it('answers as before once the pool has replaced its database connections (nothing prepared outlives one)', async () => {
    const page = `${acme.base}/engines/pypi/simple/demo/`;
    expect((await t.as(null).get(page)).status).toBe(200);
    // Every connection dropped, as the pool's idle timeout or an error drops one.
    const pool = poolOf(t.db);
    const clients = await Promise.all(Array.from({ length: Math.max(1, pool.totalCount) }, () => pool.connect()));
    for (const client of clients) client.release(true);
    expect(pool.totalCount).toBe(0);
    expect((await t.as(null).get(page)).status).toBe(200);
    expect((await t.as(adminAuth).get(`${acme.base}/products`)).status).toBe(200);
    expect((await t.as(null).get(page)).status).toBe(200);
  });

  it("answers as before when a migration changes the account read's columns under a running instance", async () => {
    const page = `${acme.base}/engines/pypi/simple/demo/`;
    const pool = poolOf(t.db);
    // Several pooled connections (the embedded database has one), each of which has run the
    // account read (prepared, on PostgreSQL).
    const size = Math.min(3, (pool as unknown as { options: { max: number } }).options.max);
    const clients = [];
    try {
      for (let i = 0; i < size; i += 1) clients.push(await pool.connect());
    } finally {
      for (const client of clients) client.release();
    }
    await Promise.all(Array.from({ length: 6 }, () => t.as(null).get(page)));
    // Another instance's migration changes a column the read returns, then changes it back.
    for (const type of ['varchar(200)', 'text']) {
      await t.db.query(`ALTER TABLE accounts ALTER COLUMN name TYPE ${type}`);
      const answers = await Promise.all(Array.from({ length: 6 }, () => t.as(null).get(page)));
      expect(answers.map((res) => res.status)).toEqual(Array(6).fill(200));
      expect((await t.as(adminAuth).get(`${acme.base}/products`)).status).toBe(200);
    }
  });

  /** Counts (and slows down, so that requests surely overlap) the statements whose text contains `marker`. */
  const countStatements = (marker: string) => {
    const pool = poolOf(t.db) as unknown as { query: (...args: unknown[]) => Promise<unknown> };
    const original = pool.query.bind(pool);
    const counted = { calls: 0 };
    const spy = jest.spyOn(pool, 'query').mockImplementation(async (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text?.includes(marker)) {
        counted.calls += 1;
        await delay(150);
      }
      return original(...args);
    });
    return { counted, restore: () => spy.mockRestore() };
  };

  it('concurrent requests share the account read, each getting one sent after it arrived', async () => {
    const { counted, restore } = countStatements('LEFT JOIN account_serials');
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => t.as(null).get(`${acme.base}/engines/pypi/simple/demo/`)));
      expect(answers.map((res) => res.status)).toEqual(Array(40).fill(200));
      expect(counted.calls).toBeGreaterThan(0);
      expect(counted.calls).toBeLessThanOrEqual(10);
    } finally {
      restore();
    }
  });

  it('concurrent upgrade lookups share their event inserts, and every event is recorded before its answer', async () => {
    const { counted, restore } = countStatements('INSERT INTO event_logs');
    const ids = Array.from({ length: 30 }, (_, i) => `hot-path-upgrade-${String(i).padStart(3, '0')}`);
    try {
      const answers = await Promise.all(
        ids.map((id) => t.as(adminAuth).get(`${acme.base}/releases/1.0.0/upgrade?product=app`).set('X-Request-Id', id)),
      );
      expect(answers.map((res) => res.status)).toEqual(Array(30).fill(200));
      expect(counted.calls).toBeGreaterThan(0);
      expect(counted.calls).toBeLessThanOrEqual(10);
    } finally {
      restore();
    }
    const rows: Array<{ request_id: string; metadata: unknown }> = await t.db.query(
      `SELECT request_id, metadata FROM event_logs WHERE event = 'release.upgraded' AND request_id = ANY($1) ORDER BY request_id`,
      [ids],
    );
    expect(rows.map((row) => row.request_id)).toEqual(ids);
    for (const row of rows) expect(row.metadata).toEqual({ current: '1.0.0', next: '1.1.0' });
  });

  describe('raw request targets and bodies a client library would rewrite', () => {
    let port: number;
    beforeAll(async () => {
      const server = t.app.getHttpServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });

    /** One request as raw bytes; the status line and body (the request id left out). */
    const raw = async (head: string) => {
      const [headPart, ...rest] = (await rawExchange(port, head)).split('\r\n\r\n');
      return { status: headPart.split('\r\n')[0], body: rest.join('\r\n\r\n').replace(/"id":"[0-9a-f-]{36}"/, '"id":"…"') };
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
      expect(hot.status).not.toMatch(/ 200 /);
    });
  });
});
