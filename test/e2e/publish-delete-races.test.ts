import pg from 'pg';
import type request from 'supertest';
import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { footprint, genericUrl } from '../support/generic.js';
import { twineFields, twineForm } from '../support/pypi.js';
import { someoneWaits } from '../support/database.js';

/**
 * An engine upload (twine, generic PUT) racing the delete of its package, with the interleaving
 * forced: a second connection holds the package's row lock until the upload is seen waiting on
 * it, then deletes the package. The upload answers 409 (upload again) and keeps nothing, never a
 * 422 about a body the client did not send, never a 5xx. Needs PostgreSQL.
 */
describe('engine uploads racing the delete of their package (PostgreSQL)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let productAuth: string;
  let other: pg.Client;
  const admin = () => t.as(bearer(acme.adminToken));
  const packageId = async (key: string) => (await t.db.query('SELECT id FROM packages WHERE key = $1', [key]))[0]?.id as string | undefined;

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0', PYPI_UPSTREAM_URL: '' }, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    productAuth = basic('__token__', await c.token(`products/${product.id}`));
    other = new pg.Client({ connectionString: t.config.databaseUrl! });
    await other.connect();
  });
  afterAll(async () => {
    await other.end();
    await t.close();
  });

  /** Runs `upload` while another transaction deletes the package it writes into. */
  async function racingDelete(key: string, upload: () => request.Test): Promise<request.Response> {
    const id = (await packageId(key))!;
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM packages WHERE id = $1 FOR UPDATE', [id]);
    const uploading = upload().then((res) => res);
    await someoneWaits(other);
    await other.query('DELETE FROM packages WHERE id = $1', [id]);
    await other.query('COMMIT');
    return uploading;
  }

  it('twine upload: 409, nothing kept', async () => {
    const send = (version: string) => {
      const bytes = Buffer.from(`twine ${version}`);
      return twineForm(t.as(productAuth).post(`${acme.base}/engines/pypi/`), { filename: `raced-${version}.tar.gz`, bytes }, twineFields('raced', version, bytes, 'sdist'));
    };
    expect((await send('1.0')).status).toBe(201);
    const res = await racingDelete('raced', () => send('2.0'));
    expect({ status: res.status, reason: (res as unknown as { res: { statusMessage: string } }).res.statusMessage }).toEqual({ status: 409, reason: 'The package raced was deleted while this file was uploaded; upload it again' });
    expect(await packageId('raced')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await footprint(t)).toMatchObject({ packages: 0, releases: 0, artifacts: 0 });
    // Uploading again creates the package anew.
    expect((await send('2.0')).status).toBe(201);
  });

  it('generic PUT: 409 as JSON:API, nothing kept', async () => {
    const put = (file: string) => admin().put(`${genericUrl(acme, 'gtool', '1.0.0', file)}?product=app`).set('Content-Type', 'application/octet-stream').send(Buffer.from(file));
    expect((await put('a.bin')).status).toBe(201);
    const before = await footprint(t);
    const res = await racingDelete('gtool', () => put('b.bin'));
    expect(res.status).toBe(409);
    expect(JSON.parse(res.text).errors[0].code).toBe('PACKAGE_CHANGED');
    expect(await packageId('gtool')).toBeUndefined();
    expect((await footprint(t)).artifacts).toBe(before.artifacts - 1);
    expect((await put('b.bin')).status).toBe(201);
  });
});
