import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';
import { type Instance, startInstance } from '../support/instances.js';
import { twineFields, wheel, wheelName } from '../support/pypi.js';
import { addresses, dropRedisKeys, redisKeys, SHARED_REDIS_URL, uniquePrefix } from '../support/rate-limit.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { sha256 } from '../support/upload.js';

/** The load balancer's address, shared by both instances as PUBLIC_URL: the URLs they emit point there. */
const BALANCER = 'http://downloads.keyshelf.test:8080';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => { data: { id: string; attributes: Record<string, unknown> }; errors?: { code: string }[] };
}

/** Anonymous callers (and licenses) get this many requests per address and window; the limit is shared through Redis. */
const RATE_LIMIT = 5;
/** A client address of its own for every request (trusted from loopback), unless a test names one: only the rate-limit test meets a limit. */
const nextAddress = addresses();

/** One request to one instance; redirects are not followed (the answer itself is what is checked). */
async function call(instance: Instance, path: string, options: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const raw = options.body instanceof FormData || options.body instanceof Uint8Array;
  const res = await fetch(`${instance.origin}${path}`, {
    method: options.method ?? 'GET',
    redirect: 'manual',
    headers: {
      'X-Forwarded-For': nextAddress(),
      ...(options.auth ? { Authorization: options.auth } : {}),
      ...(options.body !== undefined && !raw ? { 'Content-Type': 'application/vnd.api+json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : raw ? (options.body as FormData | Uint8Array) : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const PLURAL = { product: 'products', policy: 'policies', release: 'releases' } as const;

/** A JSON:API resource document; each relationship names its record's id. */
const resource = (type: string, attributes: Record<string, unknown>, relationships: Partial<Record<keyof typeof PLURAL, string>> = {}) => ({
  data: {
    type,
    attributes,
    ...(Object.keys(relationships).length ? { relationships: Object.fromEntries(Object.entries(relationships).map(([name, id]) => [name, { data: { type: PLURAL[name as keyof typeof PLURAL], id } }])) } : {}),
  },
});

/**
 * SPEC §9, scale-out: two API processes started together on one empty PostgreSQL database, one
 * storage and one secret, each request sent to whichever instance the step names. Every check
 * of the other instance is the very next request after the write's answer — no wait, no retry —
 * so that nothing an instance keeps in memory may answer for the database.
 */
describe.each([
  ['the filesystem driver, one shared DATA_DIR and its generated secret', 'fs'],
  ['S3 (s3rver), a DATA_DIR each and one SECRET_KEY', 's3'],
] as const)('two instances on %s', (_, driver) => {
  const redisPrefix = uniquePrefix();
  let databaseUrl: string;
  let dataDirs: string[];
  let s3: TestS3 | null = null;
  let a: Instance;
  let b: Instance;
  let adminToken: string;
  let productToken: string;
  let license: { id: string; key: string };
  let productId: string;
  const base = '/v1/accounts/default';
  const page = `${base}/engines/pypi/simple/shared-demo/`;
  let version = 0;

  /** twine's upload of a new version of `shared-demo` through `instance`. */
  const publish = async (instance: Instance) => {
    version += 1;
    const bytes = wheel('shared-demo', `1.0.${version}`);
    const filename = wheelName('shared-demo', `1.0.${version}`);
    const form = new FormData();
    for (const [name, value] of Object.entries(twineFields('shared-demo', `1.0.${version}`, bytes, 'bdist_wheel'))) if (value !== undefined) form.append(name, value);
    form.append('content', new Blob([bytes]), filename);
    const res = await call(instance, `${base}/products/app/engines/pypi`, { method: 'POST', auth: basic('__token__', productToken), body: form });
    expect(res.status).toBe(201);
    return { filename, bytes };
  };
  /** Follows a 303 as a client does: through the balancer (here, to `instance`) or to the store's presigned URL. */
  const download = async (location: string, instance: Instance) => {
    const url = new URL(location);
    if (url.origin === BALANCER) url.href = `${instance.origin}${url.pathname}${url.search}`;
    else expect(url.origin).toBe(s3!.env.S3_ENDPOINT);
    const res = await fetch(url, { redirect: 'error' });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const shared = await mkdtemp(join(tmpdir(), 'keyshelf-instances-'));
    dataDirs = driver === 'fs' ? [shared, shared] : [shared, await mkdtemp(join(tmpdir(), 'keyshelf-instances-'))];
    if (driver === 's3') s3 = await startS3();
    // fs: the instances share DATA_DIR, so also the secret one of them generates there; S3: one SECRET_KEY.
    const secret: Record<string, string> = s3 ? { SECRET_KEY: randomBytes(48).toString('base64') } : {};
    const env = (dataDir: string): Record<string, string> => ({
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PUBLIC_URL: BALANCER,
      PYPI_UPSTREAM_URL: '',
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: redisPrefix,
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_ANONYMOUS: String(RATE_LIMIT),
      RATE_LIMIT_WINDOW_SECONDS: '120',
      ...s3?.env,
      ...secret,
    });
    // Started together, on an empty database: migrations and the first-start account race.
    [a, b] = await Promise.all(dataDirs.map((dir) => startInstance(env(dir))));
  }, 240_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await s3?.close();
    await dropRedisKeys(redisPrefix);
    if (databaseUrl) await dropTestDatabase(databaseUrl);
    for (const dir of new Set(dataDirs)) await rm(dir, { recursive: true, force: true });
  });

  it('migrate and bootstrap once: one account, each migration once, one admin token', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      expect((await client.query('SELECT slug FROM accounts')).rows).toEqual([{ slug: 'default' }]);
      const migrations = await client.query('SELECT name, count(*)::int AS n FROM migrations GROUP BY name');
      expect(migrations.rows.length).toBeGreaterThan(0);
      expect(migrations.rows.filter((row) => row.n !== 1)).toEqual([]);
    } finally {
      await client.end();
    }
    const created = [a, b].filter((instance) => instance.output().includes('created account \\"default\\"'));
    expect(created).toHaveLength(1);
    const tokens = await Promise.all([...new Set(dataDirs)].map((dir) => readFile(join(dir, 'admin-token'), 'utf8').catch(() => null)));
    expect(tokens.filter((token) => token !== null)).toHaveLength(1);
    adminToken = tokens.find((token) => token !== null)!.trim();

    // The token one instance created works on both.
    for (const instance of [a, b]) expect((await call(instance, `${base}/me`, { auth: `Bearer ${adminToken}` })).status).toBe(200);
  });

  it('share one catalog: what one creates, the other serves', async () => {
    const admin = `Bearer ${adminToken}`;
    const product = await call(a, `${base}/products`, { method: 'POST', auth: admin, body: resource('products', { name: 'App', code: 'app' }) });
    expect(product.status).toBe(201);
    productId = product.json().data.id;
    const token = await call(b, `${base}/products/${productId}/tokens`, { method: 'POST', auth: admin, body: { data: { type: 'tokens', attributes: {} } } });
    expect(token.status).toBe(201);
    productToken = token.json().data.attributes.token as string;
    const policy = await call(a, `${base}/policies`, { method: 'POST', auth: admin, body: resource('policies', { name: 'Standard' }, { product: productId }) });
    expect(policy.status).toBe(201);
    const created = await call(b, `${base}/licenses`, { method: 'POST', auth: admin, body: resource('licenses', {}, { policy: policy.json().data.id }) });
    expect(created.status).toBe(201);
    license = { id: created.json().data.id, key: created.json().data.attributes.key as string };
    // A license key digested with one instance's secret is found by the other's.
    expect((await call(a, `${base}/me`, { auth: basic('license', license.key) })).status).toBe(200);
  });

  it('an upload through one instance is listed on the other\'s page and downloadable there, on the very next request', async () => {
    const auth = basic('license', license.key);
    for (const [writer, reader] of [
      [a, b],
      [b, a],
      [a, b],
      [b, a],
    ]) {
      // The reader has served the page (and may keep it) before the upload.
      expect((await call(reader, page, { auth })).status).toBe(version === 0 ? 404 : 200);
      const file = await publish(writer);
      const listed = await call(reader, page, { auth });
      expect(listed.status).toBe(200);
      const href = new RegExp(`href="([^"]+/${file.filename.replace(/\./g, '\\.')})#sha256=${sha256(file.bytes)}"`).exec(listed.text);
      expect(href).not.toBeNull();
      const redirect = await call(reader, new URL(href![1]).pathname, { auth });
      expect(redirect.status).toBe(303);
      expect(sha256(await download(redirect.headers.get('location')!, reader))).toBe(sha256(file.bytes));
    }
  });

  it('a page\'s ETag is the same on both instances, and an upload through one invalidates it on the other', async () => {
    const auth = basic('license', license.key);
    for (const [seen, writer] of [
      [a, b],
      [b, a],
    ]) {
      const before = await call(seen, page, { auth });
      const etag = before.headers.get('etag')!;
      expect(etag).toMatch(/^"[^"]+"$/);
      // Revalidation against either instance: unchanged is 304 everywhere.
      for (const instance of [a, b]) expect((await call(instance, page, { auth, headers: { 'If-None-Match': etag } })).status).toBe(304);
      const file = await publish(writer);
      for (const instance of [seen, writer]) {
        const after = await call(instance, page, { auth, headers: { 'If-None-Match': etag } });
        expect(after.status).toBe(200);
        expect(after.headers.get('etag')).not.toBe(etag);
        expect(after.text).toContain(file.filename);
      }
    }
  });

  it('every kind of change to a project is on the other instance\'s page at the next request: upload, yank, file and release deletion, package deletion', async () => {
    const admin = `Bearer ${adminToken}`;
    const auth = basic('license', license.key);
    const project = `${base}/engines/pypi/simple/coherent-demo/`;
    const upload = async (instance: Instance, v: string) => {
      const bytes = wheel('coherent-demo', v);
      const form = new FormData();
      for (const [name, value] of Object.entries(twineFields('coherent-demo', v, bytes, 'bdist_wheel'))) if (value !== undefined) form.append(name, value);
      form.append('content', new Blob([bytes]), wheelName('coherent-demo', v));
      expect((await call(instance, `${base}/products/app/engines/pypi`, { method: 'POST', auth: basic('__token__', productToken), body: form })).status).toBe(201);
      return wheelName('coherent-demo', v);
    };
    // Each step: the reader has the page (HTML and JSON) and revalidates it (304); the writer changes the project; the reader's very next revalidation is a 200 with the change.
    let etags: Record<string, string> = {};
    const read = async (reader: Instance, expected: number) => {
      const seen: Record<string, Answer> = {};
      for (const accept of ['text/html', 'application/vnd.pypi.simple.v1+json']) {
        const res = await call(reader, project, { auth, headers: { Accept: accept, ...(etags[accept] ? { 'If-None-Match': etags[accept] } : {}) } });
        expect(res.status).toBe(expected);
        if (expected === 200) {
          expect(res.headers.get('etag')).not.toBe(etags[accept]);
          expect((await call(reader, project, { auth, headers: { Accept: accept, 'If-None-Match': res.headers.get('etag')! } })).status).toBe(304);
          etags = { ...etags, [accept]: res.headers.get('etag')! };
        }
        seen[accept] = res;
      }
      return seen['text/html'].text;
    };
    const first = await upload(a, '2.0.0');
    const second = await upload(a, '2.0.1');
    let html = await read(b, 200);
    expect(html).toContain(first);
    expect(html).toContain(second);
    const third = await upload(b, '2.0.2');
    expect(await read(a, 200)).toContain(third);
    // A release's status changes (yanked): a license no longer sees its files (SPEC §4).
    expect((await call(a, `${base}/releases/2.0.1/actions/yank?package=coherent-demo`, { method: 'POST', auth: admin })).status).toBe(200);
    html = await read(b, 200);
    expect(html).not.toContain(second);
    expect(html).toContain(first);
    // A file is deleted.
    const artifacts = await call(b, `${base}/artifacts?package=coherent-demo`, { auth: admin });
    const firstId = (JSON.parse(artifacts.text) as { data: { id: string; attributes: { filename: string } }[] }).data.find((artifact) => artifact.attributes.filename === first)!.id;
    expect((await call(b, `${base}/artifacts/${firstId}`, { method: 'DELETE', auth: admin })).status).toBe(204);
    html = await read(a, 200);
    expect(html).not.toContain(first);
    // A release is deleted.
    const fourth = await upload(a, '2.0.3');
    expect((await call(a, `${base}/releases/2.0.2?package=coherent-demo`, { method: 'DELETE', auth: admin })).status).toBe(204);
    html = await read(b, 200);
    expect(html).not.toContain(third);
    expect(html).toContain(fourth);
    // The package is deleted: unknown (no upstream here).
    const packages = await call(a, `${base}/packages?engine=pypi`, { auth: admin });
    const packageId = (JSON.parse(packages.text) as { data: { id: string; attributes: { key: string } }[] }).data.find((pkg) => pkg.attributes.key === 'coherent-demo')!.id;
    expect((await call(a, `${base}/packages/${packageId}`, { method: 'DELETE', auth: admin })).status).toBe(204);
    await read(b, 404);
  });

  it('a token revoked on one instance is refused by the other at once', async () => {
    const admin = `Bearer ${adminToken}`;
    for (const [revoker, user] of [
      [a, b],
      [b, a],
    ]) {
      const created = await call(revoker, `${base}/tokens`, { method: 'POST', auth: admin, body: { data: { type: 'tokens', attributes: { name: 'ci' } } } });
      expect(created.status).toBe(201);
      const token = created.json().data.attributes.token as string;
      // Used (and possibly remembered) by the other instance, on the JSON:API and on an engine route.
      expect((await call(user, `${base}/me`, { auth: `Bearer ${token}` })).status).toBe(200);
      expect((await call(user, page, { auth: basic('__token__', token) })).status).toBe(200);
      expect((await call(revoker, `${base}/tokens/${created.json().data.id}`, { method: 'DELETE', auth: admin })).status).toBe(204);
      const me = await call(user, `${base}/me`, { auth: `Bearer ${token}` });
      expect({ status: me.status, code: me.json().errors?.[0].code }).toEqual({ status: 401, code: 'TOKEN_INVALID' });
      expect((await call(user, page, { auth: basic('__token__', token) })).status).toBe(401);
    }
  });

  it('a license suspended on one instance is refused by the other at once, and reinstated likewise', async () => {
    const admin = `Bearer ${adminToken}`;
    const auth = basic('license', license.key);
    for (const [writer, reader] of [
      [a, b],
      [b, a],
    ]) {
      expect((await call(reader, page, { auth })).status).toBe(200);
      expect((await call(reader, `${base}/me`, { auth })).status).toBe(200);
      expect((await call(writer, `${base}/licenses/${license.id}/actions/suspend`, { method: 'POST', auth: admin })).status).toBe(200);
      const me = await call(reader, `${base}/me`, { auth });
      expect({ status: me.status, code: me.json().errors?.[0].code }).toEqual({ status: 403, code: 'LICENSE_SUSPENDED' });
      expect((await call(reader, page, { auth })).status).toBe(403);
      expect((await call(writer, `${base}/licenses/${license.id}/actions/reinstate`, { method: 'POST', auth: admin })).status).toBe(200);
      expect((await call(reader, `${base}/me`, { auth })).status).toBe(200);
      expect((await call(reader, page, { auth })).status).toBe(200);
    }
  });

  it("a license's expiry, its policy's strategies and its deletion, written on one instance, govern the other at once; an expiry passing needs no write", async () => {
    const admin = `Bearer ${adminToken}`;
    const policy = await call(a, `${base}/policies`, {
      method: 'POST',
      auth: admin,
      body: resource('policies', { name: 'Strict', expirationStrategy: 'REVOKE_ACCESS', authenticationStrategy: 'LICENSE' }, { product: productId }),
    });
    expect(policy.status).toBe(201);
    const policyPath = `${base}/policies/${policy.json().data.id}`;
    const created = await call(b, `${base}/licenses`, { method: 'POST', auth: admin, body: resource('licenses', {}, { policy: policy.json().data.id }) });
    expect(created.status).toBe(201);
    const licensePath = `${base}/licenses/${created.json().data.id}`;
    const key = created.json().data.attributes.key as string;
    const auth = basic('license', key);
    /** The reader's answers to the key: as a bearer (/me, the page, an upgrade lookup) and through validate-key. */
    const answers = async (reader: Instance) => {
      const me = await call(reader, `${base}/me`, { auth });
      const pageStatus = (await call(reader, page, { auth })).status;
      const validation = await call(reader, `${base}/licenses/actions/validate-key`, { method: 'POST', body: { meta: { key } } });
      return { me: me.status, code: me.json().errors?.[0].code ?? null, page: pageStatus, validation: (validation.json() as unknown as { meta: unknown }).meta };
    };
    const patch = async (writer: Instance, path: string, type: string, attributes: Record<string, unknown>) => {
      const res = await call(writer, path, { method: 'PATCH', auth: admin, body: { data: { type, id: path.split('/').pop(), attributes } } });
      expect(res.status).toBe(200);
    };
    const valid = { me: 200, code: null, page: 200, validation: { valid: true, code: 'VALID', detail: 'The license is valid' } };
    for (const [writer, reader] of [
      [a, b],
      [b, a],
    ]) {
      expect(await answers(reader)).toEqual(valid);
      // Expired under REVOKE_ACCESS: refused.
      await patch(writer, licensePath, 'licenses', { expiry: new Date(Date.now() - 60_000).toISOString() });
      expect(await answers(reader)).toEqual({ me: 403, code: 'LICENSE_EXPIRED', page: 403, validation: { valid: false, code: 'EXPIRED', detail: 'The license has expired' } });
      // The policy now maintains access after expiry: valid again, as expired.
      await patch(writer, policyPath, 'policies', { expirationStrategy: 'MAINTAIN_ACCESS' });
      expect(await answers(reader)).toMatchObject({ me: 200, code: null, validation: { valid: true, code: 'EXPIRED' } });
      // The policy no longer accepts the key as credentials.
      await patch(writer, policyPath, 'policies', { authenticationStrategy: 'TOKEN' });
      expect(await answers(reader)).toMatchObject({ me: 403, code: 'LICENSE_NOT_ALLOWED', validation: { valid: true, code: 'EXPIRED' } });
      await patch(writer, policyPath, 'policies', { authenticationStrategy: 'LICENSE', expirationStrategy: 'REVOKE_ACCESS' });
      await patch(writer, licensePath, 'licenses', { expiry: null });
      expect(await answers(reader)).toEqual(valid);
    }
    // An expiry that passes while the reader keeps the license in memory: no write, refused at once.
    await patch(a, licensePath, 'licenses', { expiry: new Date(Date.now() + 2_000).toISOString() });
    expect(await answers(b)).toEqual(valid);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await answers(b)).toMatchObject({ me: 403, code: 'LICENSE_EXPIRED', page: 403, validation: { valid: false, code: 'EXPIRED' } });
    // Deleted on one instance: unknown on the other.
    await patch(a, licensePath, 'licenses', { expiry: null });
    expect(await answers(b)).toEqual(valid);
    expect((await call(a, licensePath, { method: 'DELETE', auth: admin })).status).toBe(204);
    expect(await answers(b)).toEqual({ me: 401, code: 'LICENSE_INVALID', page: 401, validation: { valid: false, code: 'NOT_FOUND', detail: 'The license key does not exist' } });
  });

  it('rate limits are counted once for both instances, in the one Redis', async () => {
    const client = { 'X-Forwarded-For': '198.51.100.7' };
    const remaining: (string | null)[] = [];
    for (let i = 0; i < RATE_LIMIT; i += 1) {
      const res = await call(i % 2 === 0 ? a : b, `${base}/releases`, { headers: client });
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    for (const instance of [a, b]) {
      const refused = await call(instance, `${base}/releases`, { headers: client });
      expect({ status: refused.status, code: refused.json().errors?.[0].code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Another client is not affected, and the counters are Redis's.
    expect((await call(b, `${base}/releases`)).status).toBe(200);
    expect((await redisKeys(redisPrefix)).length).toBeGreaterThan(0);
  });

  it('a URL signed by one instance is served by the other: upload and download', async () => {
    const admin = `Bearer ${adminToken}`;
    const release = await call(a, `${base}/releases`, {
      method: 'POST',
      auth: admin,
      body: resource('releases', { version: '2.0.0', channel: 'stable', status: 'PUBLISHED' }, { product: productId }),
    });
    expect(release.status).toBe(201);
    const bytes = randomBytes(300_000);
    const artifact = await call(a, `${base}/artifacts`, {
      method: 'POST',
      auth: admin,
      headers: { Prefer: 'no-redirect' },
      body: resource('artifacts', { filename: 'app.bin', checksum: sha256(bytes) }, { release: release.json().data.id }),
    });
    expect(artifact.status).toBe(200);
    // Signed by A, sent to B.
    const upload = new URL(artifact.headers.get('location')!);
    expect(upload.origin).toBe(BALANCER);
    const put = await call(b, upload.pathname + upload.search, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(put.status).toBe(200);

    const signed = await call(a, `${base}/artifacts/${artifact.json().data.id}`, { auth: basic('license', license.key) });
    expect(signed.status).toBe(303);
    expect(sha256(await download(signed.headers.get('location')!, b))).toBe(sha256(bytes));
  });
});
