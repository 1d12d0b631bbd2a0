import { Writable } from 'node:stream';
import { pino } from 'pino';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';

/** Defect 3 (SPEC §8.2): no credential reaches the log, also not one sent in a URL path. */
describe('the request log', () => {
  let t: TestApp;
  let acme: TestAccount;
  let key: string;
  let licenseId: string;
  const lines: Record<string, unknown>[] = [];
  let text = '';

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('utf8');
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    t = await startApp({}, { logger: pino({ level: 'info' }, sink) });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ name: 'App' });
    const license = await c.license((await c.policy(product.id)).id, { key: 'SECRET-LICENSE-KEY-0001' });
    key = license.attributes.key as string;
    licenseId = license.id;
  });
  afterAll(() => t.close());

  const requestLines = () => lines.filter((line) => line.msg === 'request' || line.msg === 'request failed');

  it('logs the route pattern of a lookup by key, never the key', async () => {
    // Keygen clients look licenses up by key in the path; here keys are no identifiers (404).
    await t.as(bearer(acme.adminToken)).get(`${acme.base}/licenses/${key}`).expect(404);
    await t.as(bearer(acme.adminToken)).get(`${acme.base}/licenses/${key}/entitlements`).expect(404);
    await t.as(basic('license', key)).get(`${acme.base}/licenses/${licenseId}?token=${key}`).expect(200);
    await t.as(null).get(`${acme.base}/no-such-route/${key}`).expect(404);
    expect(text).not.toContain(key);
    expect(text).not.toContain(acme.adminToken);
    const routes = requestLines().map((line) => line.route);
    expect(routes).toEqual(expect.arrayContaining(['/v1/accounts/:account/licenses/:id', '/v1/accounts/:account/licenses/:id/entitlements']));
    for (const line of requestLines()) {
      expect(Object.keys(line)).not.toContain('path');
      expect(Object.keys(line)).not.toContain('url');
    }
  });

  it('a request that matches no route is logged without its path', async () => {
    lines.length = 0;
    await t.as(null).get(`${acme.base}/nothing/${key}`).expect(404);
    const [line] = requestLines();
    expect(line).toMatchObject({ method: 'GET', route: null, status: 404 });
  });
});
