import pg from 'pg';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { adminUrl } from '../support/database.js';

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
});
