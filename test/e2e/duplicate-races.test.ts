import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { bearer, createAccount, doc, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { twineFields, twineForm, wheel, wheelName } from '../support/pypi.js';
import { sha256 } from '../support/upload.js';

const RACERS = 50;

/**
 * SPEC §10: duplicate writes raced 50 at a time on PostgreSQL — one winner, the rest get the
 * documented answer (409 on the engines, 422 *_TAKEN on JSON:API), never a 5xx, and exactly
 * one row; for files, the stored bytes are the winner's.
 */
describe('50 concurrent duplicate writes (PostgreSQL)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let productId: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const tally = (responses: Response[]) => {
    const counts: Record<string, number> = {};
    for (const res of responses) {
      const key = `${res.status}${res.status >= 400 && res.body?.errors ? ` ${res.body.errors[0].code}` : ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };
  const storedBytes = async (filename: string) => {
    const rows: { storage_key: string; sha256: string }[] = await t.db.query(`SELECT storage_key, sha256 FROM artifacts WHERE filename = $1`, [filename]);
    expect(rows).toHaveLength(1);
    const bytes = await readFile(join(t.config.dataDir, 'storage', 'blobs', rows[0].storage_key));
    expect(sha256(bytes)).toBe(rows[0].sha256);
    return rows[0].sha256;
  };

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' }, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    productId = (await catalog(t, acme).product({ name: 'App', code: 'app' })).id;
  });
  afterAll(() => t.close());

  it('uploads of one PyPI filename with different bytes: one 201, the rest 409 "File already exists"', async () => {
    const wheels = Array.from({ length: RACERS }, () => wheel('racer', '1.0.0', { extra: { 'racer/noise.bin': randomBytes(64) } }));
    const responses = await Promise.all(
      wheels.map((bytes) => twineForm(admin().post(`${acme.base}/products/app/engines/pypi`), { filename: wheelName('racer', '1.0.0'), bytes }, twineFields('racer', '1.0.0', bytes, 'bdist_wheel'))),
    );
    expect(tally(responses)).toEqual({ 201: 1, 409: RACERS - 1 });
    for (const res of responses.filter((r) => r.status === 409)) expect((res as unknown as { res: { statusMessage: string } }).res.statusMessage).toMatch(/File already exists/);
    const winner = wheels[responses.findIndex((res) => res.status === 201)];
    expect(await storedBytes(wheelName('racer', '1.0.0'))).toBe(sha256(winner));
  });

  it('uploads of one PyPI filename with identical bytes: one 201, the rest 200', async () => {
    const bytes = wheel('twin', '1.0.0');
    const responses = await Promise.all(
      Array.from({ length: RACERS }, () => twineForm(admin().post(`${acme.base}/products/app/engines/pypi`), { filename: wheelName('twin', '1.0.0'), bytes }, twineFields('twin', '1.0.0', bytes, 'bdist_wheel'))),
    );
    expect(tally(responses)).toEqual({ 201: 1, 200: RACERS - 1 });
    expect(await storedBytes(wheelName('twin', '1.0.0'))).toBe(sha256(bytes));
  });

  it('generic PUTs of one path with different bytes: one 201, the rest 409, nothing overwritten', async () => {
    const bodies = Array.from({ length: RACERS }, () => randomBytes(32 * 1024));
    const responses = await Promise.all(bodies.map((body) => admin().put(`${acme.base}/engines/generic/tool/1.0.0/tool.bin?product=app`).send(body)));
    expect(tally(responses)).toEqual({ 201: 1, '409 FILENAME_TAKEN': RACERS - 1 });
    expect(await storedBytes('tool.bin')).toBe(sha256(bodies[responses.findIndex((res) => res.status === 201)]));
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM releases r JOIN packages p ON p.id = r.package_id WHERE p.key = 'tool'`);
    expect(n).toBe(1);
  });

  it('release creates of one version: one 201, the rest 422 VERSION_TAKEN', async () => {
    const body = doc('releases', { version: '3.1.4', channel: 'stable' }, { product: { data: { type: 'products', id: productId } } });
    const responses = await Promise.all(Array.from({ length: RACERS }, () => admin().post(`${acme.base}/releases`).send(body)));
    expect(tally(responses)).toEqual({ 201: 1, '422 VERSION_TAKEN': RACERS - 1 });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM releases WHERE version = '3.1.4'`);
    expect(n).toBe(1);
  });

  it('license creates with one given key: one 201, the rest 422 KEY_TAKEN', async () => {
    const policy = await catalog(t, acme).policy(productId);
    const body = doc('licenses', { key: 'RACE-KEY-0001' }, { policy: { data: { type: 'policies', id: policy.id } } });
    const responses = await Promise.all(Array.from({ length: RACERS }, () => admin().post(`${acme.base}/licenses`).send(body)));
    expect(tally(responses)).toEqual({ 201: 1, '422 KEY_TAKEN': RACERS - 1 });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM licenses WHERE policy_id = $1`, [policy.id]);
    expect(n).toBe(1);
  });
});
