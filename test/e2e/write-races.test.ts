import pg from 'pg';
import type { Response } from 'supertest';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog, userWithToken } from '../support/catalog.js';

const rel = (type: string, id: string) => ({ data: { type, id } });
const unique = () => Math.random().toString(36).slice(2, 10);

/** Fixtures and requests shared by the race suites. */
function fixtures(t: TestApp, acme: TestAccount) {
  const c = catalog(t, acme);
  const admin = () => t.as(bearer(acme.adminToken));
  const createRelease = (productId: string, packageId?: string) =>
    admin()
      .post(`${acme.base}/releases`)
      .send(doc('releases', { version: `2.0.${Math.floor(Math.random() * 1e9)}`, channel: 'stable' }, { product: rel('products', productId), ...(packageId ? { package: rel('packages', packageId) } : {}) }));
  const release = async (productId: string) => (await createRelease(productId).expect(201)).body.data.id as string;
  return { c, admin, release, createRelease };
}

/**
 * Defect 2: a create racing the delete of the record it names answers the documented
 * 404 / 422 *_NOT_FOUND, never a 500 from the foreign key (PostgreSQL 23503). Made
 * deterministic on PostgreSQL: another session deletes the parent and holds its transaction
 * open, so the create passes its own checks, then waits on the foreign key until the delete
 * commits.
 */
describe('creates racing the delete of their parent (PostgreSQL, deterministic)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let f: ReturnType<typeof fixtures>;
  let deleter: pg.Client;

  beforeAll(async () => {
    t = await startApp({}, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    f = fixtures(t, acme);
    deleter = new pg.Client({ connectionString: t.config.databaseUrl! });
    await deleter.connect();
  });
  afterAll(async () => {
    await deleter.end();
    await t.close();
  });

  /** Sends the request while another session's uncommitted delete holds the parent row, then commits it. */
  async function racing(deleteSql: string, id: string, send: () => Promise<Response>): Promise<Response> {
    await deleter.query('BEGIN');
    await deleter.query(deleteSql, [id]);
    const pending = send();
    const done = pending.then(() => true);
    for (let i = 0; i < 200; i += 1) {
      const [row] = (await deleter.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows;
      if (row.n > 0 || (await Promise.race([done, new Promise((resolve) => setTimeout(() => resolve(false), 25))]))) break;
    }
    await deleter.query('COMMIT');
    return pending;
  }

  const cases: [string, () => Promise<Response>, number, string][] = [
    [
      'POST /releases vs DELETE the product',
      async () => {
        const product = await f.c.product({ name: 'p' });
        return racing('DELETE FROM products WHERE id = $1', product.id, () => f.createRelease(product.id));
      },
      422,
      'PRODUCT_NOT_FOUND',
    ],
    [
      'POST /releases vs DELETE the package',
      async () => {
        const product = await f.c.product({ name: 'p' });
        const pkg = await f.c.package(product.id, { key: `k-${unique()}` });
        return racing('DELETE FROM packages WHERE id = $1', pkg.id, () => f.createRelease(product.id, pkg.id));
      },
      422,
      'PACKAGE_NOT_FOUND',
    ],
    [
      'POST /packages vs DELETE the product',
      async () => {
        const product = await f.c.product({ name: 'p' });
        return racing('DELETE FROM products WHERE id = $1', product.id, () =>
          f.admin().post(`${acme.base}/packages`).send(doc('packages', { name: 'k', key: `k-${unique()}` }, { product: rel('products', product.id) })),
        );
      },
      422,
      'PRODUCT_NOT_FOUND',
    ],
    [
      'POST /policies vs DELETE the product',
      async () => {
        const product = await f.c.product({ name: 'p' });
        return racing('DELETE FROM products WHERE id = $1', product.id, () =>
          f.admin().post(`${acme.base}/policies`).send(doc('policies', { name: 'p' }, { product: rel('products', product.id) })),
        );
      },
      422,
      'PRODUCT_NOT_FOUND',
    ],
    [
      'POST /licenses vs DELETE the policy',
      async () => {
        const policy = await f.c.policy((await f.c.product({ name: 'p' })).id);
        return racing('DELETE FROM policies WHERE id = $1', policy.id, () =>
          f.admin().post(`${acme.base}/licenses`).send(doc('licenses', {}, { policy: rel('policies', policy.id) })),
        );
      },
      422,
      'POLICY_NOT_FOUND',
    ],
    [
      'POST /licenses vs DELETE its owner',
      async () => {
        const policy = await f.c.policy((await f.c.product({ name: 'p' })).id);
        const user = await f.admin().post(`${acme.base}/users`).send(doc('users', { email: `${unique()}@acme.test` })).expect(201);
        return racing('DELETE FROM users WHERE id = $1', user.body.data.id, () =>
          f.admin().post(`${acme.base}/licenses`).send(doc('licenses', {}, { policy: rel('policies', policy.id), user: rel('users', user.body.data.id) })),
        );
      },
      422,
      'USER_NOT_FOUND',
    ],
    [
      'POST /artifacts vs DELETE the release',
      async () => {
        const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
        return racing('DELETE FROM releases WHERE id = $1', releaseId, () =>
          f.admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'a.bin' }, { release: rel('releases', releaseId) })),
        );
      },
      422,
      'RELEASE_NOT_FOUND',
    ],
    [
      'constraint attach vs DELETE the entitlement',
      async () => {
        const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        return racing('DELETE FROM entitlements WHERE id = $1', entitlement.id, () =>
          f.admin().post(`${acme.base}/releases/${releaseId}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', entitlement.id) } }] }),
        );
      },
      422,
      'ENTITLEMENT_NOT_FOUND',
    ],
    [
      'constraint attach vs DELETE the release',
      async () => {
        const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        return racing('DELETE FROM releases WHERE id = $1', releaseId, () =>
          f.admin().post(`${acme.base}/releases/${releaseId}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', entitlement.id) } }] }),
        );
      },
      404,
      'NOT_FOUND',
    ],
    [
      'policy entitlement attach vs DELETE the entitlement',
      async () => {
        const policy = await f.c.policy((await f.c.product({ name: 'p' })).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        return racing('DELETE FROM entitlements WHERE id = $1', entitlement.id, () =>
          f.admin().post(`${acme.base}/policies/${policy.id}/entitlements`).send({ data: [{ type: 'entitlements', id: entitlement.id }] }),
        );
      },
      422,
      'ENTITLEMENT_NOT_FOUND',
    ],
    [
      'license entitlement attach vs DELETE the license',
      async () => {
        const license = await f.c.license((await f.c.policy((await f.c.product({ name: 'p' })).id)).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        return racing('DELETE FROM licenses WHERE id = $1', license.id, () =>
          f.admin().post(`${acme.base}/licenses/${license.id}/entitlements`).send({ data: [{ type: 'entitlements', id: entitlement.id }] }),
        );
      },
      404,
      'NOT_FOUND',
    ],
    [
      'POST /licenses/{id}/tokens vs DELETE the license',
      async () => {
        const license = await f.c.license((await f.c.policy((await f.c.product({ name: 'p' })).id)).id);
        return racing('DELETE FROM licenses WHERE id = $1', license.id, () => f.admin().post(`${acme.base}/licenses/${license.id}/tokens`));
      },
      404,
      'NOT_FOUND',
    ],
  ];

  it.each(cases.map(([name, run, status, code]) => [name, status, code, run] as const))('%s → %d %s', async (_, status, code, run) => {
    const res = await run();
    expect(res.status).toBe(status);
    expect(res.body.errors[0].code).toBe(code);
  });
  /** Changes racing the delete of the record they change (defect 5's mechanism for writes other than deletes). */
  const changes: [string, string, () => Promise<{ id: string; send: () => Promise<Response> }>][] = [
    ['PATCH /releases/{id}', 'releases', async () => {
      const id = await f.release((await f.c.product({ name: 'p' })).id);
      return { id, send: () => f.admin().patch(`${acme.base}/releases/${id}`).send(doc('releases', { name: 'renamed' })) };
    }],
    ['POST /releases/{id}/actions/publish', 'releases', async () => {
      const id = await f.release((await f.c.product({ name: 'p' })).id);
      return { id, send: () => f.admin().post(`${acme.base}/releases/${id}/actions/publish`) };
    }],
    ['PATCH /products/{id}', 'products', async () => {
      const { id } = await f.c.product({ name: 'p' });
      return { id, send: () => f.admin().patch(`${acme.base}/products/${id}`).send(doc('products', { name: 'renamed' })) };
    }],
    ['PATCH /packages/{id}', 'packages', async () => {
      const { id } = await f.c.package((await f.c.product({ name: 'p' })).id, { key: `k-${unique()}` });
      return { id, send: () => f.admin().patch(`${acme.base}/packages/${id}`).send(doc('packages', { name: 'renamed' })) };
    }],
    ['PATCH /artifacts/{id}', 'artifacts', async () => {
      const release = await f.release((await f.c.product({ name: 'p' })).id);
      const id = (await f.admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'a.bin' }, { release: rel('releases', release) })).expect(200)).body.data.id;
      return { id, send: () => f.admin().patch(`${acme.base}/artifacts/${id}`).send(doc('artifacts', { signature: 'sig' })) };
    }],
    ['PATCH /entitlements/{id}', 'entitlements', async () => {
      const { id } = await f.c.entitlement(`E-${unique()}`);
      return { id, send: () => f.admin().patch(`${acme.base}/entitlements/${id}`).send(doc('entitlements', { name: 'renamed' })) };
    }],
    ['PATCH /policies/{id}', 'policies', async () => {
      const { id } = await f.c.policy((await f.c.product({ name: 'p' })).id);
      return { id, send: () => f.admin().patch(`${acme.base}/policies/${id}`).send(doc('policies', { name: 'renamed' })) };
    }],
    ['POST /licenses/{id}/actions/suspend', 'licenses', async () => {
      const { id } = await f.c.license((await f.c.policy((await f.c.product({ name: 'p' })).id)).id);
      return { id, send: () => f.admin().post(`${acme.base}/licenses/${id}/actions/suspend`) };
    }],
    ['PATCH /users/{id}', 'users', async () => {
      const id = (await f.admin().post(`${acme.base}/users`).send(doc('users', { email: `${unique()}@acme.test` })).expect(201)).body.data.id;
      return { id, send: () => f.admin().patch(`${acme.base}/users/${id}`).send(doc('users', { name: 'renamed' })) };
    }],
  ];

  it.each(changes)('%s racing the delete of its record → 404, no event, nothing written back', async (_, table, setup) => {
    const { id, send } = await setup();
    const res = await racing(`DELETE FROM ${table} WHERE id = $1`, id, send);
    expect(res.status).toBe(404);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = $1`, [id]))[0].n).toBe(0);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM event_logs WHERE resource_id = $1 AND event NOT LIKE '%.created'`, [id]))[0].n).toBe(0);
  });
});

/** Defects 2 and 5 under real concurrency, on whichever database the suite runs on. */
describe('concurrent writes and deletes', () => {
  let t: TestApp;
  let acme: TestAccount;
  let f: ReturnType<typeof fixtures>;
  const ROUNDS = 8;

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    f = fixtures(t, acme);
  });
  afterAll(() => t.close());

  const statuses = (responses: Response[]) => responses.map((res) => `${res.status}${res.status >= 400 ? ` ${res.body.errors?.[0]?.code}` : ''}`);

  it.each<[string, () => Promise<[() => Promise<Response>, () => Promise<Response>]>, string[]]>([
    [
      'POST /releases vs DELETE /products/{id}',
      async () => {
        const product = await f.c.product({ name: 'p' });
        return [() => f.createRelease(product.id), () => f.admin().delete(`${acme.base}/products/${product.id}`)];
      },
      ['201', '422 PRODUCT_NOT_FOUND', '204'],
    ],
    [
      'POST /packages vs DELETE /products/{id}',
      async () => {
        const product = await f.c.product({ name: 'p' });
        return [
          () => f.admin().post(`${acme.base}/packages`).send(doc('packages', { name: 'k', key: `k-${unique()}` }, { product: rel('products', product.id) })),
          () => f.admin().delete(`${acme.base}/products/${product.id}`),
        ];
      },
      ['201', '422 PRODUCT_NOT_FOUND', '204'],
    ],
    [
      'POST /licenses vs DELETE /policies/{id}',
      async () => {
        const policy = await f.c.policy((await f.c.product({ name: 'p' })).id);
        return [() => f.admin().post(`${acme.base}/licenses`).send(doc('licenses', {}, { policy: rel('policies', policy.id) })), () => f.admin().delete(`${acme.base}/policies/${policy.id}`)];
      },
      ['201', '422 POLICY_NOT_FOUND', '204'],
    ],
    [
      'constraint attach vs DELETE /entitlements/{id}',
      async () => {
        const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        const body = { data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', entitlement.id) } }] };
        return [() => f.admin().post(`${acme.base}/releases/${releaseId}/constraints`).send(body), () => f.admin().delete(`${acme.base}/entitlements/${entitlement.id}`)];
      },
      ['200', '422 ENTITLEMENT_NOT_FOUND', '422 ENTITLEMENT_TAKEN', '204'],
    ],
  ])('%s: never a 500', async (_, setup, allowed) => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const [create, remove] = await setup();
      const responses = await Promise.all([create(), create(), create(), remove(), create(), create(), create()]);
      for (const status of statuses(responses)) expect(allowed).toContain(status);
    }
  });

  /** Each kind of delete: what to create, how to delete it, and the one event a delete writes. */
  const deletes: [string, () => Promise<{ id: string; path: string }>, string, number, string?][] = [
    ['a product', async () => ({ id: (await f.c.product({ name: 'p' })).id, path: 'products' }), 'product.deleted', 404],
    ['a package', async () => ({ id: (await f.c.package((await f.c.product({ name: 'p' })).id, { key: `k-${unique()}` })).id, path: 'packages' }), 'package.deleted', 404],
    ['a release', async () => ({ id: await f.release((await f.c.product({ name: 'p' })).id), path: 'releases' }), 'release.deleted', 404],
    [
      'an artifact',
      async () => {
        const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
        const artifact = await f.admin().post(`${acme.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', { filename: 'a.bin' }, { release: rel('releases', releaseId) })).expect(200);
        return { id: artifact.body.data.id, path: 'artifacts' };
      },
      'artifact.deleted',
      404,
    ],
    ['an entitlement', async () => ({ id: (await f.c.entitlement(`E-${unique()}`)).id, path: 'entitlements' }), 'entitlement.deleted', 404],
    ['a policy', async () => ({ id: (await f.c.policy((await f.c.product({ name: 'p' })).id)).id, path: 'policies' }), 'policy.deleted', 404],
    ['a license', async () => ({ id: (await f.c.license((await f.c.policy((await f.c.product({ name: 'p' })).id)).id)).id, path: 'licenses' }), 'license.deleted', 404],
    ['a user', async () => ({ id: (await f.admin().post(`${acme.base}/users`).send(doc('users', { email: `${unique()}@acme.test` })).expect(201)).body.data.id, path: 'users' }), 'user.deleted', 404],
    ['a token', async () => ({ id: (await f.admin().post(`${acme.base}/tokens`).expect(201)).body.data.id, path: 'tokens' }), 'token.revoked', 404],
  ];

  it.each(deletes)('16 concurrent DELETEs of %s: one 204, the rest 404, one event', async (_, create, event, loserStatus) => {
    const { id, path } = await create();
    const responses = await Promise.all(Array.from({ length: 16 }, () => f.admin().delete(`${acme.base}/${path}/${id}`)));
    expect(responses.filter((res) => res.status === 204)).toHaveLength(1);
    for (const res of responses.filter((r) => r.status !== 204)) {
      expect(res.status).toBe(loserStatus);
      expect(res.body.errors[0].code).toBe('NOT_FOUND');
    }
    const events = await t.db.query('SELECT count(*)::int AS n FROM event_logs WHERE resource_id = $1 AND event = $2', [id, event]);
    expect(events[0].n).toBe(1);
  });

  it.each<[string, () => Promise<{ path: string; body: object; owner: string }>, string, string]>([
    [
      'a constraint',
      async () => {
        const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        const attached = await f.admin().post(`${acme.base}/releases/${releaseId}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', entitlement.id) } }] }).expect(200);
        return { path: `releases/${releaseId}/constraints`, body: { data: [{ type: 'constraints', id: attached.body.data[0].id }] }, owner: releaseId };
      },
      'release.constraints.detached',
      'CONSTRAINT_NOT_FOUND',
    ],
    [
      "a policy's entitlement",
      async () => {
        const policy = await f.c.policy((await f.c.product({ name: 'p' })).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        await f.c.attach(`policies/${policy.id}`, [entitlement.id]);
        return { path: `policies/${policy.id}/entitlements`, body: { data: [{ type: 'entitlements', id: entitlement.id }] }, owner: policy.id };
      },
      'policy.entitlements.detached',
      'ENTITLEMENT_NOT_FOUND',
    ],
    [
      "a license's entitlement",
      async () => {
        const license = await f.c.license((await f.c.policy((await f.c.product({ name: 'p' })).id)).id);
        const entitlement = await f.c.entitlement(`E-${unique()}`);
        await f.c.attach(`licenses/${license.id}`, [entitlement.id]);
        return { path: `licenses/${license.id}/entitlements`, body: { data: [{ type: 'entitlements', id: entitlement.id }] }, owner: license.id };
      },
      'license.entitlements.detached',
      'ENTITLEMENT_NOT_FOUND',
    ],
  ])('16 concurrent detaches of %s: one 204, the rest 422, one event', async (_, attach, event, code) => {
    const { path, body, owner } = await attach();
    const responses = await Promise.all(Array.from({ length: 16 }, () => f.admin().delete(`${acme.base}/${path}`).send(body)));
    expect(responses.filter((res) => res.status === 204)).toHaveLength(1);
    for (const res of responses.filter((r) => r.status !== 204)) {
      expect(res.status).toBe(422);
      expect(res.body.errors[0].code).toBe(code);
    }
    const events = await t.db.query('SELECT count(*)::int AS n FROM event_logs WHERE resource_id = $1 AND event = $2', [owner, event]);
    expect(events[0].n).toBe(1);
  });

  it('detaching one constraint twice in a request detaches nothing (422)', async () => {
    const releaseId = await f.release((await f.c.product({ name: 'p' })).id);
    const entitlement = await f.c.entitlement(`E-${unique()}`);
    const attached = await f.admin().post(`${acme.base}/releases/${releaseId}/constraints`).send({ data: [{ type: 'constraints', relationships: { entitlement: rel('entitlements', entitlement.id) } }] }).expect(200);
    const id = attached.body.data[0].id;
    const res = await f.admin().delete(`${acme.base}/releases/${releaseId}/constraints`).send({ data: [{ type: 'constraints', id }, { type: 'constraints', id }] }).expect(422);
    expect(res.body.errors[0]).toMatchObject({ code: 'CONSTRAINT_NOT_FOUND', source: { pointer: '/data/1/id' } });
    expect((await f.admin().get(`${acme.base}/releases/${releaseId}/constraints`).expect(200)).body.data).toHaveLength(1);
  });

  it('a user deleting itself concurrently with an admin: one 204', async () => {
    const other = await userWithToken(t, acme, `${unique()}@acme.test`, 'admin');
    const responses = await Promise.all([
      t.as(other.header).delete(`${acme.base}/users/${other.id}`),
      f.admin().delete(`${acme.base}/users/${other.id}`),
      f.admin().delete(`${acme.base}/users/${other.id}`),
    ]);
    expect(responses.filter((res) => res.status === 204)).toHaveLength(1);
    for (const res of responses.filter((r) => r.status !== 204)) expect([401, 404]).toContain(res.status);
  });
});
