import type { Response } from 'supertest';
import { catalog, userWithToken } from '../support/catalog.js';
import { applicationRoutes } from '../support/routes.js';
import { addresses, dropRedisKeys, redisKeys, SHARED_REDIS_URL, uniquePrefix } from '../support/rate-limit.js';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';

const LIMIT = 6;
const STAFF = 30;
const TOKENS = 3;
const WINDOW = 30;

describe('rate limits on Redis (SPEC §8.4)', () => {
  const prefix = uniquePrefix();
  const nextAddress = addresses();
  let t: TestApp;
  let acme: TestAccount;
  let globex: TestAccount;
  let customer: string;
  let productToken: string;
  let suspendedKey: string;

  beforeAll(async () => {
    t = await startApp({
      RATE_LIMIT_ENABLED: 'true',
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW),
      RATE_LIMIT_ANONYMOUS: String(LIMIT),
      RATE_LIMIT_STAFF: String(STAFF),
      RATE_LIMIT_TOKEN_CREATION: String(TOKENS),
    });
    acme = await createAccount(t, { slug: 'acme' });
    globex = await createAccount(t, { slug: 'globex' });
    const fixtures = catalog(t, acme);
    const product = await fixtures.product({ code: 'app' });
    productToken = await fixtures.token(`products/${product.id}`);
    const policy = await fixtures.policy(product.id, { authenticationStrategy: 'LICENSE' });
    const license = await fixtures.license(policy.id);
    suspendedKey = license.attributes.key as string;
    await t.as(bearer(acme.adminToken)).post(`${acme.base}/licenses/${license.id}/actions/suspend`).expect(200);
    customer = (await userWithToken(t, acme, 'customer@acme.test', 'user')).header;
    // This process learns which account each path segment names from its first request.
    for (const base of [acme.base, '/v1/accounts/acme', globex.base]) await t.http.get(`${base}/releases`).set('X-Forwarded-For', '192.0.2.1');
  });
  afterAll(async () => {
    await t.close();
    await dropRedisKeys(prefix);
  });

  const from = (address: string, authorization: string | null = null) => ({
    get: (path: string) => {
      const req = t.http.get(path).set('X-Forwarded-For', address);
      return authorization ? req.set('Authorization', authorization) : req;
    },
    post: (path: string) => {
      const req = t.http.post(path).set('X-Forwarded-For', address);
      return authorization ? req.set('Authorization', authorization) : req;
    },
  });
  const remaining = (res: Response) => Number(res.headers['x-ratelimit-remaining']);

  it('gives anonymous callers the standard budget, with the headers on every answer, then 429 RATE_LIMITED', async () => {
    const client = from(nextAddress());
    const started = Date.now() / 1000;
    for (let i = 1; i <= LIMIT; i += 1) {
      const res = await client.get(`${acme.base}/releases`).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(remaining(res)).toBe(LIMIT - i);
      const reset = Number(res.headers['x-ratelimit-reset']);
      expect(reset).toBeGreaterThan(started);
      expect(reset).toBeLessThanOrEqual(Math.ceil(started) + WINDOW + 1);
    }
    const refused = await client.get(`${acme.base}/releases`).expect(429);
    expect(refused.headers['content-type']).toMatch(/^application\/vnd\.api\+json/);
    expect(refused.body.meta.id).toBe(refused.headers['x-request-id']);
    expect(refused.body.errors[0]).toMatchObject({ code: 'RATE_LIMITED', title: 'Too many requests' });
    expect(refused.headers['x-ratelimit-limit']).toBe(String(LIMIT));
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW);
    expect(refused.body.errors[0].detail).toContain(`retry in ${retryAfter} s`);
  });

  it.each([
    ['an admin token', () => bearer(acme.adminToken), STAFF],
    ['a product token', () => bearer(productToken), STAFF],
    ['a customer token', () => customer, LIMIT],
  ])('gives %s its budget', async (_, header, limit) => {
    const client = from(nextAddress(), header());
    for (let i = 1; i <= limit; i += 1) expect(remaining(await client.get(`${acme.base}/releases`).expect(200))).toBe(limit - i);
    await client.get(`${acme.base}/releases`).expect(429);
  });

  it('keeps the staff budget apart from the anonymous one at the same address', async () => {
    const address = nextAddress();
    for (let i = 0; i < LIMIT; i += 1) await from(address).get(`${acme.base}/releases`).expect(200);
    await from(address).get(`${acme.base}/releases`).expect(429);
    const staff = await from(address, bearer(acme.adminToken)).get(`${acme.base}/me`).expect(200);
    expect(staff.headers['x-ratelimit-limit']).toBe(String(STAFF));
  });

  it.each([
    ['an unknown token (401)', () => bearer('user_not-a-token'), 401, 'TOKEN_INVALID'],
    ['an unknown license key (401)', () => basic('license', 'NOT-A-KEY'), 401, 'LICENSE_INVALID'],
    ['a suspended license (403)', () => basic('license', suspendedKey), 403, 'LICENSE_SUSPENDED'],
  ])('counts a failed authentication with %s double', async (_, header, status, code) => {
    const client = from(nextAddress(), header());
    for (let i = 1; i <= LIMIT / 2; i += 1) {
      const res = await client.get(`${acme.base}/releases`).expect(status);
      expect(res.body.errors[0].code).toBe(code);
      expect(remaining(res)).toBe(LIMIT - 2 * i);
    }
    const refused = await client.get(`${acme.base}/releases`).expect(429);
    expect(refused.body.errors[0].code).toBe('RATE_LIMITED');
  });

  it('does not count other refusals double', async () => {
    const client = from(nextAddress(), customer);
    const res = await client.post(`${acme.base}/products`).send({ data: { type: 'products', attributes: { name: 'x' } } }).expect(403);
    expect(remaining(res)).toBe(LIMIT - 1);
    expect(remaining(await client.get(`${acme.base}/releases/nope`).expect(404))).toBe(LIMIT - 2);
  });

  it('allows few token creations per window, a wrong password counting double, without touching the other budget', async () => {
    const address = nextAddress();
    const admin = from(address, bearer(acme.adminToken));
    for (let i = 1; i <= TOKENS; i += 1) {
      const res = await admin.post(`${acme.base}/tokens`).expect(201);
      expect(res.headers['x-ratelimit-limit']).toBe(String(TOKENS));
      expect(remaining(res)).toBe(TOKENS - i);
    }
    const refused = await admin.post(`${acme.base}/tokens`).expect(429);
    expect(refused.body.errors[0].detail).toMatch(/^Too many token requests/);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const other = await admin.get(`${acme.base}/me`).expect(200);
    expect(other.headers['x-ratelimit-limit']).toBe(String(STAFF));
    expect(remaining(other)).toBe(STAFF - TOKENS - 2);

    const guesser = from(nextAddress(), basic('customer@acme.test', 'wrong password'));
    expect(remaining(await guesser.post(`${acme.base}/tokens`).expect(401))).toBe(TOKENS - 2);
    await guesser.post(`${acme.base}/tokens`).expect(401);
    await guesser.post(`${acme.base}/tokens`).expect(429);
  });

  it('keeps accounts and addresses apart', async () => {
    const address = nextAddress();
    for (let i = 0; i < LIMIT; i += 1) await from(address).get(`${acme.base}/releases`).expect(200);
    await from(address).get(`${acme.base}/releases`).expect(429);
    expect(remaining(await from(address).get(`${globex.base}/releases`).expect(200))).toBe(LIMIT - 1);
    expect(remaining(await from(nextAddress()).get(`${acme.base}/releases`).expect(200))).toBe(LIMIT - 1);
  });

  it("counts an account's slug and id against one budget", async () => {
    const client = from(nextAddress());
    for (let i = 1; i <= LIMIT; i += 1) {
      const base = i % 2 === 0 ? '/v1/accounts/ACME' : acme.base;
      expect(remaining(await client.get(`${base}/releases`).expect(200))).toBe(LIMIT - i);
    }
    await client.get('/v1/accounts/acme/releases').expect(429);
  });

  it('refuses over the limit before looking anything up: made-up accounts share one budget', async () => {
    const client = from(nextAddress());
    for (let i = 0; i < LIMIT; i += 1) await client.get(`/v1/accounts/no-such-account-${i}/releases`).expect(404);
    const refused = await client.get('/v1/accounts/yet-another/releases').expect(429);
    expect(refused.body.errors[0].code).toBe('RATE_LIMITED');
  });

  it.each([
    ['the PyPI index, in plain text with the reason phrase', '/engines/pypi/simple/', /^text\/plain/],
    ['the Tauri engine, in plain JSON', '/engines/tauri/app?platform=linux&arch=x86_64&version=1.0.0', /^application\/json/],
    ['the generic registry, in JSON:API', '/engines/generic/app/1.0.0/app.tar.gz', /^application\/vnd\.api\+json/],
  ])('answers a 429 on %s', async (_, path, type) => {
    const client = from(nextAddress());
    for (let i = 0; i < LIMIT; i += 1) await client.get(`${acme.base}${path}`);
    const refused = await client.get(`${acme.base}${path}`).expect(429);
    expect(refused.headers['content-type']).toMatch(type);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    const detail = type.test('text/plain') ? refused.text : (refused.body.errors[0].detail as string);
    expect(detail).toMatch(/^Too many requests/);
    if (type.test('text/plain')) expect((refused as unknown as { res: { statusMessage: string } }).res.statusMessage).toMatch(/^Too many requests/);
    else expect(refused.body.errors[0].code).toBe('RATE_LIMITED');
  });

  it('limits every route under /v1/accounts/{account}, read from the route table, and no other', async () => {
    const routes = applicationRoutes(t.app);
    expect(routes.length).toBeGreaterThan(50);
    for (const route of routes) {
      let path = route.path.replace(':account', 'acme').replace(/\*?:[A-Za-z]+/g, 'x');
      // The simple index's normal form: other forms get their 301 before routing, uncounted.
      if (route.path.endsWith('/engines/pypi/simple') || route.path.endsWith('/simple/:project')) path += '/';
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
      const res = await t.http[method](path).set('X-Forwarded-For', nextAddress());
      expect({ route, limited: res.headers['x-ratelimit-limit'] !== undefined }).toEqual({ route, limited: route.path.startsWith('/v1/accounts/:account') });
    }
  });

  it('never limits health', async () => {
    const client = from(nextAddress());
    for (let i = 0; i < LIMIT * 2; i += 1) {
      const res = await client.get('/health/live').expect(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('documents the 429 and its headers in OpenAPI', async () => {
    const spec = await t.http.get('/openapi.json').expect(200);
    const answer = spec.body.paths['/v1/accounts/{account}/tokens'].post.responses['429'];
    expect(Object.keys(answer.headers).sort()).toEqual(['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-Request-Id']);
    expect(spec.body.paths['/health/live'].get.responses['429']).toBeUndefined();
  });

  it('keeps the counters in Redis under the configured prefix', async () => {
    const keys = await redisKeys(prefix);
    expect(keys).toEqual(
      expect.arrayContaining([`${prefix}rate:standard:unresolved:192.0.2.1`, `${prefix}rate:staff:${acme.id}:127.0.0.1`, `${prefix}rate:token-creation:${acme.id}:127.0.0.1`]),
    );
  });
});
