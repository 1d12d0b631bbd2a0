import { jest } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import type request from 'supertest';
import { poolOf } from '../../src/database/pool.js';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';

/**
 * The coherence window (COHERENCE_WINDOW_MS, docs/decisions.md): one read of an account's change
 * serials answers the requests that arrive within the window after it was sent, and a response to
 * a write waits the window out, so that the request that follows it is answered from a read sent
 * after the commit. A window far wider than the default (2 ms) makes each half visible.
 */
describe('coherence window', () => {
  const WINDOW = 1000;
  let t: TestApp;
  /** Another instance on the same database. */
  let u: TestApp;
  let acme: TestAccount;
  let adminAuth: string;
  const page = () => `${acme.base}/engines/pypi/simple/demo/`;

  const upload = async (version: string, through = t) => {
    const bytes = wheel('demo', version);
    return twineForm(through.as(adminAuth).post(`${acme.base}/products/app/engines/pypi`), { filename: wheelName('demo', version), bytes }, twineFields('demo', version, bytes, 'bdist_wheel'));
  };

  const jsonApi = (req: request.Test) => req.set('Content-Type', 'application/vnd.api+json');
  /** A token made through `through` with `auth`; throws with the status when refused. */
  const newToken = async (through: TestApp, auth: string) => {
    const created = await jsonApi(through.as(auth).post(`${acme.base}/tokens`)).send({ data: { type: 'tokens', attributes: {} } });
    if (created.status !== 201) throw new Error(`POST /tokens answered ${created.status}`);
    return { id: created.body.data.id as string, token: bearer(created.body.data.attributes.token as string) };
  };

  /** Counts the account reads (the statement that reads the change serials). */
  const countReads = () => {
    const pool = poolOf(t.db) as unknown as { query: (...args: unknown[]) => Promise<unknown> };
    const original = pool.query.bind(pool);
    const counted = { calls: 0 };
    const spy = jest.spyOn(pool, 'query').mockImplementation((...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text?.includes('LEFT JOIN account_serials')) counted.calls += 1;
      return original(...args);
    });
    return { counted, restore: () => spy.mockRestore() };
  };

  beforeAll(async () => {
    // Two instances share a database (PostgreSQL on both passes: the embedded one has one process).
    const env = { COHERENCE_WINDOW_MS: String(WINDOW), SECRET_KEY: 'coherence-window-test-secret-0123456789abcdef' };
    t = await startApp(env, { embedded: false });
    u = await startApp(env, { databaseUrl: t.config.databaseUrl! });
    acme = await createAccount(t, { slug: 'acme' });
    adminAuth = bearer(acme.adminToken);
    await catalog(t, acme).product({ name: 'App', code: 'app', distributionStrategy: 'OPEN' });
    expect((await upload('1.0')).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await u?.close();
    await t?.close();
  });

  it('requests that arrive within the window after a read share it', async () => {
    await delay(WINDOW + 50);
    const { counted, restore } = countReads();
    try {
      for (let i = 0; i < 5; i += 1) expect((await t.as(null).get(page())).status).toBe(200);
    } finally {
      restore();
    }
    // One read (two if the machine stalled past the window), not one per request.
    expect(counted.calls).toBeGreaterThan(0);
    expect(counted.calls).toBeLessThanOrEqual(2);
  });

  it("a write's answer waits the window out, so the very next request, on another instance, sees it", async () => {
    const { id, token } = await newToken(u, adminAuth);
    // This instance authenticates the token (and reads the serials) just before the other revokes it.
    expect((await t.as(token).get(`${acme.base}/me`)).status).toBe(200);
    const started = performance.now();
    expect((await u.as(adminAuth).delete(`${acme.base}/tokens/${id}`)).status).toBe(204);
    const took = performance.now() - started;
    expect((await t.as(token).get(`${acme.base}/me`)).status).toBe(401);
    expect(took).toBeGreaterThanOrEqual(WINDOW);

    // The same for an upload and the page that lists it.
    expect((await t.as(adminAuth).get(page())).text).not.toContain(wheelName('demo', '1.1'));
    expect((await upload('1.1', u)).status).toBe(201);
    expect((await t.as(adminAuth).get(page())).text).toContain(wheelName('demo', '1.1'));

    // A refused write waits too (nothing tells a refusal from a write that committed, then failed).
    const refused = performance.now();
    expect((await jsonApi(u.as(adminAuth).post(`${acme.base}/products`)).send({ data: { type: 'products', attributes: {} } })).status).toBe(422);
    expect(performance.now() - refused).toBeGreaterThanOrEqual(WINDOW);
  });

  it('a write is authorised by a read of its own, never by one other requests shared', async () => {
    const { id, token } = await newToken(t, adminAuth);
    expect((await t.as(token).get(`${acme.base}/me`)).status).toBe(200);
    // Revoked by other means than the API (no answer waits for it), within the window of that read.
    await t.db.query(`DELETE FROM tokens WHERE id = $1`, [id]);
    await expect(newToken(t, token)).rejects.toThrow('401');
  });

  it('a change made in the database by other means shows once the window has passed', async () => {
    expect((await t.as(null).get(page())).text).not.toContain('data-requires-python');
    // validate-key only reads: its answer does not wait out the window.
    const started = performance.now();
    const validation = await t.as(null).post(`${acme.base}/licenses/actions/validate-key`).set('Content-Type', 'application/vnd.api+json').send({ meta: { key: 'NO-SUCH-KEY' } });
    expect(validation.status).toBe(200);
    expect(validation.body.meta.valid).toBe(false);
    expect(performance.now() - started).toBeLessThan(WINDOW);
    // Not through the API (an operator's SQL): no answer waits for it.
    await t.db.query(`UPDATE artifact_metadata SET requires_python = '>=3.99' WHERE account_id = $1`, [acme.id]);
    await delay(WINDOW + 50);
    expect((await t.as(null).get(page())).text).toContain('data-requires-python="&gt;=3.99"');
  });

  it('0 turns the window off: every request reads', async () => {
    const off = await startApp({ COHERENCE_WINDOW_MS: '0' });
    try {
      const other = await createAccount(off, { slug: 'other' });
      const pool = poolOf(off.db) as unknown as { query: (...args: unknown[]) => Promise<unknown> };
      const original = pool.query.bind(pool);
      let reads = 0;
      const spy = jest.spyOn(pool, 'query').mockImplementation((...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
        if (text?.includes('LEFT JOIN account_serials')) reads += 1;
        return original(...args);
      });
      try {
        for (let i = 0; i < 3; i += 1) expect((await off.as(bearer(other.adminToken)).get(`${other.base}/products`)).status).toBe(200);
      } finally {
        spy.mockRestore();
      }
      expect(reads).toBe(3);
    } finally {
      await off.close();
    }
  });
});
