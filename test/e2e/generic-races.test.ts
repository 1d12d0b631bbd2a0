import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { storageKey } from '../../src/storage/blob-store.js';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { genericUrl } from '../support/generic.js';
import { binary } from '../support/upload.js';
import { someoneWaits } from '../support/database.js';

/**
 * A generic PUT racing a delete of its version, with the interleavings forced: a second
 * connection plays the other side and holds its locks until the request is seen waiting on
 * them. Needs PostgreSQL (the embedded database runs one transaction at a time).
 */
describe('generic registry: publishes and deletes of one version interleaved (PostgreSQL)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let other: pg.Client;
  const admin = () => t.as(bearer(acme.adminToken));
  const url = (...segments: string[]) => genericUrl(acme, ...segments);
  const releaseOf = async (key: string, version: string): Promise<string | undefined> =>
    (await t.db.query('SELECT r.id FROM releases r JOIN packages p ON p.id = r.package_id WHERE p.key = $1 AND r.version = $2', [key, version]))[0]?.id;

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' }, { embedded: false });
    acme = await createAccount(t, { slug: 'acme' });
    await catalog(t, acme).product({ code: 'app' });
    other = new pg.Client({ connectionString: t.config.databaseUrl! });
    await other.connect();
  });
  afterAll(async () => {
    await other.end();
    await t.close();
  });

  it('a PUT meeting a version delete in progress waits for it, then publishes into the version created anew', async () => {
    await admin().put(url('tool', '1.0.0', 'old.bin') + '?product=app').send('old').expect(201);
    const doomed = (await releaseOf('tool', '1.0.0'))!;
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM releases WHERE id = $1 FOR UPDATE', [doomed]);
    const publishing = admin().put(url('tool', '1.0.0', 'new.bin')).send('new').then((res) => res);
    await someoneWaits(other);
    await other.query('DELETE FROM releases WHERE id = $1', [doomed]);
    await other.query('COMMIT');
    const res = await publishing;
    expect(res.status).toBe(201);
    const reborn = await releaseOf('tool', '1.0.0');
    expect(reborn).toBe(res.body.data.relationships.release.data.id);
    expect(reborn).not.toBe(doomed);
    expect((await admin().get(url('tool', '1.0.0', 'new.bin')).buffer(true).parse(binary as never).expect(200)).body.toString()).toBe('new');
    await admin().get(url('tool', '1.0.0', 'old.bin')).expect(404);
  });

  it('deleting the last file waits for a file being published into the version, and then keeps the version', async () => {
    await admin().put(url('keep', '1.0.0', 'last.bin') + '?product=app').send('last').expect(201);
    const release = (await releaseOf('keep', '1.0.0'))!;
    await other.query('BEGIN');
    // What a publish holds until it commits: a key-share lock on the release and its new row.
    await other.query('SELECT 1 FROM releases WHERE id = $1 FOR KEY SHARE', [release]);
    await other.query(
      `INSERT INTO artifacts (account_id, release_id, filename, status, metadata, downloads) VALUES ($1, $2, 'inflight.bin', 'WAITING', '{}', 0)`,
      [acme.id, release],
    );
    const deleting = admin().delete(url('keep', '1.0.0', 'last.bin')).then((res) => res);
    await someoneWaits(other);
    await other.query('COMMIT');
    expect((await deleting).status).toBe(204);
    expect(await releaseOf('keep', '1.0.0')).toBe(release);
    const files = await t.db.query('SELECT filename FROM artifacts WHERE release_id = $1', [release]);
    expect(files).toEqual([{ filename: 'inflight.bin' }]);
  });

  it('deleting a version waits for a file being published into it, and deletes that file and its bytes too', async () => {
    await admin().put(url('drop', '1.0.0', 'a.bin') + '?product=app').send('a').expect(201);
    const release = (await releaseOf('drop', '1.0.0'))!;
    // The in-flight file's bytes, already stored under their key as a publish stores them.
    const key = storageKey(acme.id, randomUUID());
    const blob = join(t.config.dataDir, 'storage', 'blobs', key);
    await mkdir(dirname(blob), { recursive: true });
    await writeFile(blob, 'in flight');
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM releases WHERE id = $1 FOR KEY SHARE', [release]);
    await other.query(
      `INSERT INTO artifacts (account_id, release_id, filename, status, metadata, downloads, storage_key) VALUES ($1, $2, 'inflight.bin', 'UPLOADED', '{}', 0, $3)`,
      [acme.id, release, key],
    );
    const deleting = admin().delete(url('drop', '1.0.0')).then((res) => res);
    await someoneWaits(other);
    await other.query('COMMIT');
    expect((await deleting).status).toBe(204);
    expect(await releaseOf('drop', '1.0.0')).toBeUndefined();
    expect(await t.db.query('SELECT id FROM artifacts WHERE release_id = $1', [release])).toEqual([]);
    expect(existsSync(blob)).toBe(false);
  });
});
