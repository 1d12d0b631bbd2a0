import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';
import { type Instance, startInstance } from '../support/instances.js';
import { twineFields, wheel, wheelName } from '../support/pypi.js';
import { rawRequest } from '../support/raw-http.js';

/**
 * SPEC §8.2: the e2e flows run against the built server at LOG_LEVEL=debug, everything it
 * writes (stdout and stderr) captured; no token, license key, password, Authorization value or
 * URL userinfo may appear in it — sent in headers, Basic credentials, paths, queries, bodies or
 * absolute-form request targets, accepted or refused.
 */
describe('log audit at LOG_LEVEL=debug', () => {
  let dataDir: string;
  let databaseUrl = '';
  let server: Instance;
  const secrets = new Set<string>();
  const keep = (value: string) => {
    secrets.add(value);
    return value;
  };
  const basic = (user: string, pass: string) => `Basic ${keep(Buffer.from(`${user}:${pass}`).toString('base64'))}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-log-audit-'));
    if (process.env.KEYSHELF_TEST_EMBEDDED !== '1') databaseUrl = await createTestDatabase();
    server = await startInstance({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'debug', PYPI_UPSTREAM_URL: '' });
  }, 180_000);
  afterAll(async () => {
    await server.stop();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('no credential appears in anything the server wrote', async () => {
    const base = `${server.origin}/v1/accounts/default`;
    const call = async (method: string, path: string, authorization: string | null, body?: object | Buffer | FormData, headers: Record<string, string> = {}) => {
      if (authorization) keep(authorization);
      const res = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
        method,
        redirect: 'manual',
        headers: { ...(authorization ? { Authorization: authorization } : {}), ...(body && !(body instanceof FormData) && !Buffer.isBuffer(body) ? { 'Content-Type': 'application/vnd.api+json' } : {}), ...headers },
        body: body instanceof FormData || Buffer.isBuffer(body) ? body : body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: /json/.test(res.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text };
    };
    const admin = `Bearer ${keep((await readFile(join(dataDir, 'admin-token'), 'utf8')).trim())}`;

    // Users, passwords and tokens of every kind.
    const password = keep('Sup3r-Secret-Passw0rd');
    expect((await call('POST', '/users', admin, { data: { type: 'users', attributes: { email: 'dev@acme.test', password, role: 'developer' } } })).status).toBe(201);
    const login = await call('POST', '/tokens', basic('dev@acme.test', password));
    expect(login.status).toBe(201);
    const dev = keep(login.body.data.attributes.token);
    expect((await call('POST', '/tokens', basic('dev@acme.test', keep('Wr0ng-Password-Guess')))).status).toBe(401);
    const product = await call('POST', '/products', `Bearer ${dev}`, { data: { type: 'products', attributes: { name: 'App', code: 'app' } } });
    expect(product.status).toBe(201);
    const productToken = keep((await call('POST', '/products/app/tokens', admin)).body.data.attributes.token);
    const policy = await call('POST', '/policies', admin, { data: { type: 'policies', attributes: { name: 'p' }, relationships: { product: { data: { type: 'products', id: 'app' } } } } });
    const given = keep('GIVEN-LICENSE-KEY-0123456789');
    const license = await call('POST', '/licenses', admin, { data: { type: 'licenses', attributes: { key: given }, relationships: { policy: { data: { type: 'policies', id: policy.body.data.id } } } } });
    expect(license.status).toBe(201);
    const generated = await call('POST', '/licenses', admin, { data: { type: 'licenses', relationships: { policy: { data: { type: 'policies', id: policy.body.data.id } } } } });
    const key = keep(generated.body.data.attributes.key);
    const licenseToken = keep((await call('POST', `/licenses/${license.body.data.id}/tokens`, admin)).body.data.attributes.token);
    const revoked = await call('POST', '/tokens', admin);
    keep(revoked.body.data.attributes.token);
    await call('DELETE', `/tokens/${revoked.body.data.id}`, admin);

    // Every way credentials arrive, accepted and refused.
    for (const authorization of [
      `Bearer ${dev}`,
      `Bearer ${productToken}`,
      `Bearer ${licenseToken}`,
      `Bearer ${revoked.body.data.attributes.token}`,
      `Bearer ${keep('admin_not-a-real-token-0000000000')}`,
      basic('token', dev),
      basic('__token__', productToken),
      basic(dev, ''),
      basic('gitlab-user', dev),
      basic('license', key),
      basic('license', keep('UNKNOWN-LICENSE-KEY-0000')),
      `License ${given}`,
      `License ${key}`,
    ]) {
      await call('GET', '/me', authorization);
      await call('GET', '/releases', authorization);
    }
    // Keys and tokens where they do not belong: in paths, queries and bodies.
    await call('GET', `/licenses/${given}`, admin);
    await call('GET', `/licenses/${key}/entitlements`, admin);
    await call('GET', `/releases?key=${key}&token=${dev}`, admin);
    await call('POST', `/releases/${given}`, admin);
    await call('GET', `/no-such-route/${key}`, null);
    await call('POST', '/licenses/actions/validate-key', null, { meta: { key: given } });
    await call('POST', '/licenses/actions/validate-key', null, { meta: { key: keep('NOT-A-KEY-9999') } });
    await call('PATCH', `/users/dev@acme.test`, admin, { data: { type: 'users', attributes: { password: keep('An0ther-Secret-Pass') } } });
    await call('POST', '/users', admin, { data: { type: 'users', attributes: { email: 'bad', password: keep('Sh0rt') } } });

    // The engines, as their clients send credentials.
    const bytes = wheel('audited', '1.0.0');
    const form = new FormData();
    for (const [name, value] of Object.entries(twineFields('audited', '1.0.0', bytes, 'bdist_wheel'))) if (value !== undefined) form.append(name, value);
    form.append('content', new Blob([bytes]), wheelName('audited', '1.0.0'));
    expect((await call('POST', '/products/app/engines/pypi', basic('__token__', productToken), form)).status).toBe(201);
    await call('GET', '/engines/pypi/simple/audited/', basic('license', key));
    await call('GET', '/engines/pypi/simple/audited/', basic('license', given), undefined, { Accept: 'application/vnd.pypi.simple.v1+json' });
    expect((await call('PUT', '/engines/generic/tool/1.0.0/tool.bin?product=app', basic('ci', dev), Buffer.from('bytes'))).status).toBe(201);
    await call('GET', '/engines/generic/tool/1.0.0/tool.bin', basic('license', key));
    await call('GET', `/engines/tauri/tool?platform=linux&arch=x86_64&version=1.0.0`, `License ${given}`);

    // URL userinfo, in an absolute-form request target (as a proxy-minded client sends it).
    const userinfo = keep(`__token__:${dev}`);
    const port = Number(new URL(server.origin).port);
    await rawRequest(port, [`GET http://${userinfo}@127.0.0.1:${port}/v1/accounts/default/me HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`]);
    await rawRequest(port, [`GET http://${keep(given)}@127.0.0.1:${port}/v1/accounts/default/releases HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`]);

    // The log is there and detailed (debug lines and a line per request) …
    const output = server.output();
    const lines = output.split('\n').filter(Boolean);
    expect(lines.some((line) => line.includes('"level":20'))).toBe(true);
    expect(lines.filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(50);
    // … and holds none of them.
    expect(secrets.size).toBeGreaterThan(30);
    expect([...secrets].filter((secret) => output.includes(secret))).toEqual([]);
  }, 120_000);
});
