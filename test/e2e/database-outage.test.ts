import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { adminUrl } from '../support/database.js';
import { until } from '../support/instances.js';
import { stalledUpload } from '../support/stalled-upload.js';

/** SPEC §1.3, §10: with the database away, 503 without internals; then recovery without restart. */
describe('database outage', () => {
  let t: TestApp;
  let acme: TestAccount;
  let name: string;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    t = await startApp({}, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    name = new URL(t.config.databaseUrl!).pathname.slice(1);
  });
  afterAll(async () => {
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await t.close();
  });

  it('answers 503 while PostgreSQL refuses connections, and recovers once it is back', async () => {
    await t.as(bearer(acme.adminToken)).get(`${acme.base}/me`).expect(200);
    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`);

    const down = await t.as(bearer(acme.adminToken)).get(`${acme.base}/me`);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBeDefined();
    expect(down.body.errors[0].code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(down.body)).not.toMatch(/postgres|SELECT|at |\.ts|keyshelf_test/i);
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(503);

    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await t.as(bearer(acme.adminToken)).get(`${acme.base}/me`).expect(200);
    await t.http.get('/health/ready').expect(200);
  });

  it('requests in flight when PostgreSQL goes away answer 503 within seconds; an upload in flight keeps nothing; all recover without a restart', async () => {
    await catalog(t, acme).product({ name: 'App', code: 'app' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const auth = bearer(acme.adminToken);
    const listed = () => t.as(auth).get(`${acme.base}/products`);
    await listed().expect(200);

    // An upload that has passed authentication and is streaming its body.
    const upload = { url: `${acme.base}/engines/generic/tool/1.0.0/tool.bin?product=app`, authorization: auth };
    const size = 4 * 1024 * 1024;
    const socket = await stalledUpload(port, t.config.dataDir, 'generic PUT', upload, size, 1024 * 1024);
    let uploadAnswer = '';
    socket.on('data', (chunk: Buffer) => (uploadAnswer += chunk.toString('latin1')));

    // Requests held inside PostgreSQL (waiting on a lock) when it goes away.
    const locker = new pg.Client({ connectionString: t.config.databaseUrl! });
    await locker.connect();
    locker.on('error', () => undefined);
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
    const inFlight = Array.from({ length: 8 }, () => listed().then((res) => ({ status: res.status, at: Date.now() })));
    await until('the requests to wait inside PostgreSQL', async () => {
      const { rows } = await locker.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      return rows[0].n >= 1 ? true : undefined;
    });

    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    const cut = Date.now();
    // The server's connections first, the lock holder last: ending the lock first would let a
    // waiting query finish in the moment before its own connection is ended.
    const { rows: lockHolder } = await locker.query('SELECT pg_backend_pid() AS pid');
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid() AND pid <> ${Number(lockHolder[0].pid)}`);
    await admin(`SELECT pg_terminate_backend(${Number(lockHolder[0].pid)})`);
    const answers = await Promise.all(inFlight);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.at - cut).toBeLessThan(5_000);
    }
    const during = Date.now();
    expect((await listed()).status).toBe(503);
    expect(Date.now() - during).toBeLessThan(5_000);

    // The upload finishes sending while the database is away: 503, and nothing of it stays.
    socket.write(Buffer.alloc(size - 1024 * 1024, 7));
    await until('the upload to be answered', () => (uploadAnswer.includes('\r\n\r\n') ? true : undefined), 10_000);
    expect(uploadAnswer).toMatch(/^HTTP\/1\.1 503/);
    socket.destroy();
    expect(await readdir(join(t.config.dataDir, 'storage', 'tmp')).catch(() => [])).toEqual([]);
    expect(await readdir(join(t.config.dataDir, 'storage', 'blobs')).catch(() => [])).toEqual([]);

    await admin(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await until('the server to serve again', async () => ((await listed()).status === 200 ? true : undefined), 10_000);
    const retried = await t.as(auth).put(upload.url).send(Buffer.alloc(size, 7));
    expect(retried.status).toBe(201);
  });
});
