import { Validator } from '@seriousme/openapi-schema-validator';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';
import { links } from '../support/contract.js';
import { releaseFixtures } from '../support/releases.js';
import { applicationRoutes } from '../support/routes.js';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'];

/** The Express pattern of a route in OpenAPI's form: `:id` → `{id}`, `*filename` → `{filename}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}').replace(/\*(\w+)/g, '{$1}');

/** Where a schema is: the component it names (compiled once), or its place in the operation. */
const schemaPath = (schema: Json, place: string[]) => (typeof schema.$ref === 'string' ? schema.$ref.slice(2).split('/') : place);

describe('the OpenAPI document (SPEC §8.2)', () => {
  let t: TestApp;
  let account: TestAccount;
  let document: Json;
  const operations: [string, string, Json][] = [];

  beforeAll(async () => {
    t = await startApp();
    account = await createAccount(t, { slug: 'docs' });
    const res = await t.http.get('/openapi.json').expect(200);
    document = res.body;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Json)) if (METHODS.includes(method)) operations.push([method, path, operation]);
    }
  }, 180_000);
  afterAll(() => t?.close());

  it('passes an OpenAPI 3.1 validator, and /docs renders it', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const page = await t.http.get('/docs/').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  }, 180_000);

  it('documents every route the application serves', () => {
    const documented = new Set(operations.map(([method, path]) => `${method.toUpperCase()} ${path}`));
    const missing = applicationRoutes(t.app)
      .map((route) => `${route.method} ${openApiPath(route.path)}`)
      .filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
    expect(operations.length).toBeGreaterThan(90);
  }, 180_000);

  it('gives every operation its security, its success answers with schemas, its errors and examples', () => {
    const problems: string[] = [];
    for (const [method, path, op] of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      if (path.startsWith('/v1/accounts/')) {
        if (!op.security?.length) problems.push(`${where}: no security`);
        if (!op.responses.default) problems.push(`${where}: no error document`);
        if (!op.responses['401'] || !op.responses['404']) problems.push(`${where}: 401 or 404 missing`);
      }
      const successes = Object.keys(op.responses).filter((status) => /^[23]/.test(status));
      if (successes.length === 0) problems.push(`${where}: no success answer`);
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        if (!response.headers?.['X-Request-Id']) problems.push(`${where} ${status}: no X-Request-Id`);
        if (['201', '303', '307'].includes(status) && !response.headers?.Location) problems.push(`${where} ${status}: no Location`);
        // A success without content must be one that has no body.
        if (/^2/.test(status) && !response.content && !['204', '202'].includes(status) && !(method === 'delete')) problems.push(`${where} ${status}: no body described`);
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          if (!media.schema) problems.push(`${where} ${status} ${type}: no schema`);
          if (media.example === undefined) problems.push(`${where} ${status} ${type}: no example`);
        }
      }
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>)) {
        if (!media.schema) problems.push(`${where} request ${type}: no schema`);
        if (type.includes('json') && media.example === undefined) problems.push(`${where} request ${type}: no example`);
      }
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('gives examples that validate against their own schemas', () => {
    const problems: string[] = [];
    for (const [method, path, op] of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          if (media.example === undefined || !type.includes('json')) continue;
          const problem = t.contract.validateAt(schemaPath(media.schema, ['paths', path, method, 'responses', status, 'content', type, 'schema']), media.example);
          if (problem) problems.push(`${method.toUpperCase()} ${path} ${status} ${type}: ${problem}`);
        }
      }
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>)) {
        if (media.example === undefined) continue;
        const problem = t.contract.validateAt(schemaPath(media.schema, ['paths', path, method, 'requestBody', 'content', type, 'schema']), media.example);
        if (problem) problems.push(`${method.toUpperCase()} ${path} request ${type}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('names the credentials as they are: Bearer tokens that are not JWTs, Basic with its user forms, License', () => {
    const schemes = document.components.securitySchemes as Json;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.bearer.bearerFormat).toBeUndefined();
    expect(schemes.basic.description).toMatch(/__token__/);
    expect(schemes.license).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    const show = document.paths['/v1/accounts/{account}/releases/{id}'].get;
    expect(show.security).toEqual([{}, { bearer: [] }, { basic: [] }, { license: [] }]);
    const createUser = document.paths['/v1/accounts/{account}/users'].post;
    expect(createUser.security).toEqual([{ bearer: [] }, { basic: [] }]);
  }, 180_000);

  it('describes list parameters, filters and the request body of a create from the code', () => {
    const listReleases = document.paths['/v1/accounts/{account}/releases'].get;
    const names = listReleases.parameters.map((p: Json) => p.name);
    expect(names).toEqual(expect.arrayContaining(['page[number]', 'page[size]', 'order', 'product', 'package', 'channel', 'status', 'yanked', 'entitlements[]']));
    const create = document.paths['/v1/accounts/{account}/releases'].post.requestBody.content['application/vnd.api+json'].schema;
    const body = document.components.schemas[create.$ref.split('/').pop()];
    const attributes = body.properties.data.properties.attributes;
    expect(attributes.required).toEqual(expect.arrayContaining(['version', 'channel']));
    expect(attributes.properties.status.enum).toEqual(['DRAFT', 'PUBLISHED']);
    expect(attributes.properties.backdated).toMatchObject({ format: 'date-time', type: ['string', 'null'] });
    expect(attributes.properties).not.toHaveProperty('semver');
    expect(body.properties.data.required).toEqual(['type', 'relationships']);
    expect(body.properties.data.properties.relationships.required).toEqual(['product']);
  }, 180_000);

  it('gives constraint and entitlement bodies as relationship documents, and their examples work as sent', async () => {
    const admin = t.as(bearer(account.adminToken));
    const fixtures = catalog(t, account);
    const product = await fixtures.product({ code: 'app' });
    await fixtures.entitlement('pro');
    const policy = await fixtures.policy(product.id);
    await releaseFixtures(t, account).release(product.id, '1.0.0');
    const example = (path: string) => document.paths[path].post.requestBody.content['application/vnd.api+json'].example;
    const constraints = example('/v1/accounts/{account}/releases/{id}/constraints');
    expect(constraints).toEqual({ data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: 'pro' } } } }] });
    await admin.post(`${account.base}/releases/1.0.0/constraints`).send(constraints).expect(200);
    await admin.post(`${account.base}/policies/${policy.id}/entitlements`).send(example('/v1/accounts/{account}/policies/{id}/entitlements')).expect(200);
    // What the old document described (a list of strings) is refused.
    await admin.post(`${account.base}/policies/${policy.id}/entitlements`).send(['pro']).expect(400);
  }, 180_000);

  it('catches an answer that drifts from the document', () => {
    const url = `${account.base}/entitlements/7d3c6e1a-0000-4000-8000-000000000000`;
    const entitlement = {
      data: {
        id: '7d3c6e1a-0000-4000-8000-000000000000',
        type: 'entitlements',
        attributes: { name: 'Pro', code: 'pro', metadata: {}, created: '2026-03-01T12:00:00.000Z', updated: '2026-03-01T12:00:00.000Z' },
        relationships: {},
        links: { self: url },
      },
    };
    const exchange = (status: number, body: unknown) => ({ method: 'GET', url, status, contentType: 'application/vnd.api+json', body: JSON.stringify(body) });
    expect(t.contract.check(exchange(200, entitlement))).toBeNull();
    const extra = structuredClone(entitlement);
    (extra.data.attributes as Json).secret = 'x';
    expect(t.contract.check(exchange(200, extra))).toMatch(/additional properties/);
    const wrongType = structuredClone(entitlement);
    (wrongType.data.attributes as Json).metadata = 'x';
    expect(t.contract.check(exchange(200, wrongType))).toMatch(/must be object/);
    expect(t.contract.check(exchange(202, entitlement))).toMatch(/not documented/);
    expect(t.contract.check(exchange(404, { errors: [] }))).toMatch(/must have required property 'meta'/);
    const dangling = structuredClone(entitlement);
    dangling.data.links.self = `${account.base}/nowhere/1`;
    expect(t.contract.check(exchange(200, dangling))).toMatch(/leads to no documented route/);
  }, 180_000);

  it('every links.self and links.related the API emits answers 200 when followed', async () => {
    const admin = bearer(account.adminToken);
    const fixtures = catalog(t, account);
    const releases = releaseFixtures(t, account);
    const product = await fixtures.product({ code: 'walk', distributionStrategy: 'LICENSED' });
    const pkg = await fixtures.package(product.id, { key: 'walk-pkg', engine: 'generic' });
    const entitlement = await fixtures.entitlement('walk-pro');
    const policy = await fixtures.policy(product.id);
    await fixtures.attach(`policies/${policy.id}`, [entitlement.id]);
    const customer = await userWithToken(t, account, 'customer@docs.test', 'user');
    const owned = await fixtures.license(policy.id, {}, customer.id);
    await fixtures.license(policy.id);
    const withPackage = await releases.release(product.id, '2.0.0', {}, pkg.id);
    await releases.release(product.id, '2.1.0');
    await t.as(admin).post(`${account.base}/releases/${withPackage}/constraints`).send({
      data: [{ type: 'constraints', relationships: { entitlement: { data: { type: 'entitlements', id: entitlement.id } } } }],
    }).expect(200);
    await releases.artifact(withPackage, { filename: 'walk-2.0.0.tar.gz' }, Buffer.from('walk'));
    await fixtures.token(`products/${product.id}`);
    const licenseKey = (await fixtures.license(policy.id, { key: 'walk-license-key-1' })).attributes.key as string;

    const readers: [string, string, string[]][] = [
      [
        'admin',
        admin,
        ['', '/me', '/products', '/packages', '/engines', '/entitlements', '/policies', '/licenses', '/releases', '/artifacts', '/users', '/tokens', '/event-logs', `/releases/${withPackage}/constraints`],
      ],
      ['customer', customer.header, ['/me', '/licenses', '/releases', '/artifacts', `/licenses/${owned.id}/entitlements`]],
      ['license', basic('license', licenseKey), ['/me', '/releases', '/artifacts', '/packages', '/engines']],
    ];
    const problems: string[] = [];
    let followed = 0;
    for (const [who, authorization, starts] of readers) {
      const seen = new Set<string>();
      const queue = starts.map((path) => `${account.base}${path}`);
      while (queue.length > 0) {
        const url = queue.shift()!;
        const res = await t.as(authorization).get(url).set('Prefer', 'no-download');
        followed += 1;
        if (res.status !== 200) {
          problems.push(`${who}: GET ${url} → ${res.status} ${JSON.stringify(res.body?.errors?.[0] ?? '')}`);
          continue;
        }
        for (const link of links(res.body)) {
          if (seen.has(link)) continue;
          seen.add(link);
          queue.push(link);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(followed).toBeGreaterThan(40);
  }, 180_000);
});
