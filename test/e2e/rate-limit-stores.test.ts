import { capturedLogger, dropRedisKeys, privateRedis, redisKeys, SHARED_REDIS_URL, uniquePrefix } from '../support/rate-limit.js';
import { createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';

const LIMIT = 3;
const limited = (env: Record<string, string> = {}) => ({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_ANONYMOUS: String(LIMIT), ...env });
// The counters' store is what these tests are about, and two processes can share a database
// only on PostgreSQL (the embedded one has one owner): they run on PostgreSQL in either mode.
const POSTGRES = { embedded: false } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Anonymous reads of one account from one address; the first one teaches the instance the account. */
function reader(t: TestApp, account: TestAccount, address: string) {
  return () => t.http.get(`${account.base}/releases`).set('X-Forwarded-For', address);
}

describe('rate-limit counters (SPEC §8.4, §9)', () => {
  const prefix = uniquePrefix();
  afterAll(() => dropRedisKeys(prefix));

  it('are shared by two instances on one Redis', async () => {
    const env = limited({ REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: prefix });
    const one = await startApp(env, POSTGRES);
    const two = await startApp(env, { databaseUrl: one.config.databaseUrl ?? undefined });
    try {
      const acme = await createAccount(one, { slug: 'acme' });
      await reader(one, acme, '192.0.2.1')().expect(200);
      await reader(two, acme, '192.0.2.1')().expect(200);
      const [a, b] = [reader(one, acme, '10.0.0.1'), reader(two, acme, '10.0.0.1')];
      expect((await a().expect(200)).headers['x-ratelimit-remaining']).toBe('2');
      expect((await b().expect(200)).headers['x-ratelimit-remaining']).toBe('1');
      expect((await a().expect(200)).headers['x-ratelimit-remaining']).toBe('0');
      await b().expect(429);
      await a().expect(429);
    } finally {
      await two.close();
      await one.close();
    }
  });

  it('live in process memory without REDIS_URL: each instance counts its own, and a window ends after Retry-After', async () => {
    const memoryPrefix = uniquePrefix();
    const one = await startApp(limited({ REDIS_KEY_PREFIX: memoryPrefix, RATE_LIMIT_WINDOW_SECONDS: '2' }), POSTGRES);
    const two = await startApp(limited({ REDIS_KEY_PREFIX: memoryPrefix }), { databaseUrl: one.config.databaseUrl ?? undefined });
    try {
      const acme = await createAccount(one, { slug: 'acme' });
      await reader(one, acme, '192.0.2.1')().expect(200);
      await reader(two, acme, '192.0.2.1')().expect(200);
      const [a, b] = [reader(one, acme, '10.0.0.2'), reader(two, acme, '10.0.0.2')];
      for (let i = 0; i < LIMIT; i += 1) await a().expect(200);
      const refused = await a().expect(429);
      expect((await b().expect(200)).headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
      expect(await redisKeys(memoryPrefix)).toEqual([]);

      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      await sleep(retryAfter * 1000 + 100);
      expect((await a().expect(200)).headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
    } finally {
      await two.close();
      await one.close();
    }
  });

  it('count by the socket address when TRUST_PROXY=false, whatever X-Forwarded-For claims', async () => {
    const t = await startApp(limited({ TRUST_PROXY: 'false' }), POSTGRES);
    try {
      const acme = await createAccount(t, { slug: 'acme' });
      await reader(t, acme, '192.0.2.1')().expect(200);
      for (let i = 1; i <= LIMIT; i += 1) await reader(t, acme, `10.0.1.${i}`)().expect(200);
      await reader(t, acme, '10.0.1.99')().expect(429);
    } finally {
      await t.close();
    }
  });

  it('fall back to per-process counters with a warning while Redis is away, and return to Redis with it', async () => {
    const redis = await privateRedis();
    const { logger, lines } = capturedLogger();
    const t = await startApp(limited({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix }), { ...POSTGRES, logger });
    try {
      const acme = await createAccount(t, { slug: 'acme' });
      await reader(t, acme, '192.0.2.1')().expect(200);
      await reader(t, acme, '10.0.0.3')().expect(200);
      expect(await redisKeys(prefix, redis.url)).toContain(`${prefix}rate:standard:${acme.id}:10.0.0.3`);

      await redis.kill();
      const during = reader(t, acme, '10.0.0.4');
      for (let i = 0; i < LIMIT; i += 1) {
        const res = await during().expect(200);
        expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      }
      await during().expect(429);
      await until(() => lines.some((l) => l.level === 40 && /^Redis is unreachable/.test(l.msg)), 'the warning');
      expect(lines.filter((l) => /^Redis is unreachable/.test(l.msg))).toHaveLength(1);
      expect(JSON.stringify(lines)).not.toContain(redis.url);

      await redis.start();
      await until(() => lines.some((l) => /^Redis is reachable again/.test(l.msg)), 'the recovery');
      await reader(t, acme, '10.0.0.5')().expect(200);
      expect(await redisKeys(prefix, redis.url)).toContain(`${prefix}rate:standard:${acme.id}:10.0.0.5`);
    } finally {
      await t.close();
      await redis.kill();
    }
  });

  it('still limit when Redis is unreachable at start', async () => {
    const redis = await privateRedis();
    await redis.kill();
    const { logger, lines } = capturedLogger();
    const t = await startApp(limited({ REDIS_URL: redis.url }), { ...POSTGRES, logger });
    try {
      const acme = await createAccount(t, { slug: 'acme' });
      await reader(t, acme, '192.0.2.1')().expect(200);
      for (let i = 0; i < LIMIT; i += 1) await reader(t, acme, '10.0.0.6')().expect(200);
      await reader(t, acme, '10.0.0.6')().expect(429);
      expect(lines.some((l) => l.level === 40 && /^Redis is unreachable/.test(l.msg))).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('are off with RATE_LIMIT_ENABLED=false: no refusals, no headers, nothing stored', async () => {
    const offPrefix = uniquePrefix();
    const t = await startApp({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_ANONYMOUS: '1', REDIS_URL: SHARED_REDIS_URL, REDIS_KEY_PREFIX: offPrefix }, POSTGRES);
    try {
      const acme = await createAccount(t, { slug: 'acme' });
      for (let i = 0; i < 5; i += 1) {
        const res = await reader(t, acme, '10.0.0.7')().expect(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
      expect(await redisKeys(offPrefix)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
