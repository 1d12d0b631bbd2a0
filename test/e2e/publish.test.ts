import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PublishService, type PublishFile } from '../../src/artifacts/publish.service.js';
import { Authenticator } from '../../src/auth/authenticator.service.js';
import type { RequestContext } from '../../src/auth/decorators.js';
import { DomainError } from '../../src/common/errors.js';
import { Account } from '../../src/database/entities/account.entity.js';
import { BLOB_STORE, type BlobStore } from '../../src/storage/blob-store.js';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { randomFile, sha256 } from '../support/upload.js';

/**
 * The core use case both engines publish through (ARCHITECTURE, Engines): package and release
 * created as needed, duplicates, filenames kept, limits, races, and nothing left behind by a
 * refused upload. The engines' own suites test it again through their protocols.
 */
describe('publishing a file into a package version', () => {
  let t: TestApp;
  let acme: TestAccount;
  let publisher: PublishService;
  let ctxOf: (token: string) => Promise<RequestContext>;
  let productToken: string;
  let otherProductToken: string;
  let openProductToken: string;

  const counts = async () => {
    const [row] = await t.db.query(
      `SELECT (SELECT count(*) FROM packages)::int AS packages, (SELECT count(*) FROM releases)::int AS releases,
              (SELECT count(*) FROM artifacts)::int AS artifacts, (SELECT count(*) FROM package_filenames)::int AS filenames`,
    );
    const files = async (dir: string): Promise<number> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      let n = 0;
      for (const entry of entries) n += entry.isDirectory() ? await files(join(dir, entry.name)) : 1;
      return n;
    };
    return { ...row, blobs: await files(join(t.config.dataDir, 'storage')) };
  };

  const file = (overrides: Partial<PublishFile> & { content?: Buffer }): PublishFile => {
    const { content = Buffer.from('hello'), ...rest } = overrides;
    return { engine: 'generic', packageKey: 'tool', version: '1.0.0', filename: 'tool.bin', bytes: Readable.from([content]), duplicates: 'conflict', keepFilenames: false, ...rest };
  };

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
        return { status: error.status, code: error.code };
      },
    );

  beforeAll(async () => {
    t = await startApp({ MAX_UPLOAD_BYTES: '4096' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const product = await c.product({ code: 'app' });
    const other = await c.product({ code: 'other' });
    const open = await c.product({ code: 'open', distributionStrategy: 'OPEN' });
    productToken = await c.token(`products/${product.id}`);
    otherProductToken = await c.token(`products/${other.id}`);
    openProductToken = await c.token(`products/${open.id}`);
    publisher = t.app.get(PublishService);
    const account = await t.db.getRepository(Account).findOneByOrFail({ id: acme.id });
    const authenticator = t.app.get(Authenticator);
    ctxOf = async (token) => ({ account, bearer: await authenticator.authenticate(account, { scheme: 'token', token }), requestId: 'test-request' });
  });
  afterAll(() => t.close());

  it('creates the package, a PUBLISHED release on the pre-release channel, and the artifact with its events', async () => {
    const content = randomFile(1000);
    const published = await publisher.publish(await ctxOf(productToken), file({ packageKey: 'Cli.Tool', version: '2.0.0-beta.1', filename: 'cli.tar.gz', content }));
    expect(published.created).toBe(true);
    expect(published.package).toMatchObject({ key: 'Cli.Tool', engine: 'generic' });
    expect(published.release).toMatchObject({ version: '2.0.0-beta.1', channel: 'beta', status: 'PUBLISHED' });
    expect(published.artifact).toMatchObject({ filename: 'cli.tar.gz', filetype: 'gz', status: 'UPLOADED', sha256: sha256(content), size: 1000, filesize: 1000 });
    const store = t.app.get<BlobStore>(BLOB_STORE);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.open(published.artifact.storageKey!)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    const events = await t.db.query(`SELECT event FROM event_logs WHERE request_id = 'test-request' ORDER BY created_at`);
    expect(events.map((e: { event: string }) => e.event).sort()).toEqual(
      ['artifact.created', 'artifact.uploaded', 'package.created', 'release.created', 'release.published'].sort(),
    );
    const engines = await t.db.query(`SELECT key FROM engines WHERE account_id = $1`, [acme.id]);
    expect(engines.map((e: { key: string }) => e.key)).toContain('generic');
  });

  it('matches an existing package case-insensitively and adds versions and files to it', async () => {
    const ctx = await ctxOf(productToken);
    const first = await publisher.publish(ctx, file({ packageKey: 'cli.tool', version: '2.0.0', filename: 'a.bin' }));
    const second = await publisher.publish(ctx, file({ packageKey: 'CLI.TOOL', version: '2.0.0', filename: 'b.bin' }));
    expect(first.package.id).toBe(second.package.id);
    expect(first.release.id).toBe(second.release.id);
    expect(second.package.key).toBe('Cli.Tool');
  });

  it('refuses a new package without a product, and changes nothing', async () => {
    const before = await counts();
    expect(await refusal(publisher.publish(await ctxOf(acme.adminToken), file({ packageKey: 'orphan' })))).toEqual({ status: 400, code: 'PRODUCT_MISSING' });
    expect(await counts()).toEqual(before);
  });

  it('takes the product from the URL for staff, and refuses an unknown one', async () => {
    const published = await publisher.publish(await ctxOf(acme.adminToken), file({ packageKey: 'staff-tool', productRef: 'app' }));
    expect(published.created).toBe(true);
    expect(await refusal(publisher.publish(await ctxOf(acme.adminToken), file({ packageKey: 'x-tool', productRef: 'nope' })))).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it.each([
    ['a version that is not semver', { version: '1.0' }, 400, 'VERSION_INVALID'],
    ['a pre-release that names no channel', { version: '1.0.0-preview.1' }, 400, 'VERSION_CHANNEL_INVALID'],
    ['a filename with a traversal', { filename: '../x.bin' }, 422, 'FILENAME_INVALID'],
  ])('refuses %s before reading, and changes nothing', async (_, overrides, status, code) => {
    const before = await counts();
    const unread = new Readable({ read: () => undefined });
    expect(await refusal(publisher.publish(await ctxOf(productToken), file({ packageKey: 'fresh', ...overrides, bytes: unread })))).toEqual({ status, code });
    expect(unread.readableDidRead).toBe(false);
    expect(await counts()).toEqual(before);
  });

  it('refuses bytes over the limit (413), and bytes the engine refuses, and keeps nothing', async () => {
    const before = await counts();
    expect(await refusal(publisher.publish(await ctxOf(productToken), file({ packageKey: 'big', content: randomFile(5000) })))).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(await refusal(publisher.publish(await ctxOf(productToken), file({ packageKey: 'big', declaredSize: 5000 })))).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const verify = () => {
      throw new DomainError(400, 'DIGEST_MISMATCH', 'sha256_digest does not match');
    };
    expect(await refusal(publisher.publish(await ctxOf(productToken), file({ packageKey: 'bad', verify })))).toEqual({ status: 400, code: 'DIGEST_MISMATCH' });
    expect(await counts()).toEqual(before);
  });

  it('answers an existing filename with 409 before reading (conflict mode)', async () => {
    const ctx = await ctxOf(productToken);
    await publisher.publish(ctx, file({ packageKey: 'dup', filename: 'f.bin' }));
    const unread = new Readable({ read: () => undefined });
    expect(await refusal(publisher.publish(ctx, file({ packageKey: 'DUP', filename: 'F.BIN', bytes: unread })))).toEqual({ status: 409, code: 'FILENAME_TAKEN' });
    expect(unread.readableDidRead).toBe(false);
  });

  it('answers identical bytes with the existing file and other bytes with 409 (identical mode)', async () => {
    const ctx = await ctxOf(productToken);
    const pypi = { engine: 'pypi' as const, packageKey: 'Demo_Pkg', version: '1.0.0', filename: 'demo_pkg-1.0.0.tar.gz', duplicates: 'identical' as const, keepFilenames: true };
    const first = await publisher.publish(ctx, file({ ...pypi, content: Buffer.from('one') }));
    expect(first.package.key).toBe('demo-pkg');
    const before = await counts();
    const again = await publisher.publish(ctx, file({ ...pypi, content: Buffer.from('one') }));
    expect(again).toMatchObject({ created: false, artifact: { id: first.artifact.id } });
    expect(await refusal(publisher.publish(ctx, file({ ...pypi, content: Buffer.from('two') })))).toEqual({ status: 409, code: 'FILENAME_TAKEN' });
    expect(await counts()).toEqual(before);
  });

  it('never accepts a used filename again with other bytes, even after deletion (keepFilenames)', async () => {
    const ctx = await ctxOf(productToken);
    const pypi = { engine: 'pypi' as const, packageKey: 'kept', version: '1.0.0', filename: 'kept-1.0.0.tar.gz', duplicates: 'identical' as const, keepFilenames: true };
    const first = await publisher.publish(ctx, file({ ...pypi, content: Buffer.from('one') }));
    await t.as(bearer(productToken)).delete(`${acme.base}/artifacts/${first.artifact.id}`).expect(204);
    const before = await counts();
    expect(await refusal(publisher.publish(ctx, file({ ...pypi, content: Buffer.from('two') })))).toEqual({ status: 409, code: 'FILENAME_REUSED' });
    expect(await counts()).toEqual(before);
    const same = await publisher.publish(ctx, file({ ...pypi, content: Buffer.from('one') }));
    expect(same.created).toBe(true);
    // Deleting the whole package does not free its filenames: they are kept by package key.
    await t.as(bearer(productToken)).delete(`${acme.base}/packages/${same.package.id}`).expect(204);
    expect(await refusal(publisher.publish(ctx, file({ ...pypi, packageKey: 'Kept', content: Buffer.from('two') })))).toEqual({ status: 409, code: 'FILENAME_REUSED' });
    expect((await publisher.publish(ctx, file({ ...pypi, content: Buffer.from('one') }))).created).toBe(true);
  });

  it('refuses another engine, another product, and other products\' tokens', async () => {
    expect(await refusal(publisher.publish(await ctxOf(productToken), file({ engine: 'pypi', packageKey: 'dup', filename: 'dup-2.0.0.tar.gz', version: '2.0.0' })))).toEqual({
      status: 409,
      code: 'PACKAGE_ENGINE_MISMATCH',
    });
    expect(await refusal(publisher.publish(await ctxOf(acme.adminToken), file({ packageKey: 'dup', productRef: 'other', filename: 'g.bin' })))).toEqual({
      status: 409,
      code: 'PACKAGE_PRODUCT_MISMATCH',
    });
    // A LICENSED product's package is hidden from another product's token; an OPEN one is visible.
    expect(await refusal(publisher.publish(await ctxOf(otherProductToken), file({ packageKey: 'dup', filename: 'h.bin' })))).toEqual({ status: 404, code: 'NOT_FOUND' });
    await publisher.publish(await ctxOf(openProductToken), file({ packageKey: 'open-tool', filename: 'o.bin' }));
    expect(await refusal(publisher.publish(await ctxOf(productToken), file({ packageKey: 'open-tool', filename: 'p.bin' })))).toEqual({ status: 403, code: 'FORBIDDEN' });
  });

  it('takes no new files into a yanked version', async () => {
    const ctx = await ctxOf(productToken);
    const published = await publisher.publish(ctx, file({ packageKey: 'yanky', filename: 'a.bin' }));
    await t.as(bearer(productToken)).post(`${acme.base}/releases/${published.release.id}/actions/yank`).expect(200);
    expect(await refusal(publisher.publish(ctx, file({ packageKey: 'yanky', filename: 'b.bin' })))).toEqual({ status: 409, code: 'RELEASE_YANKED' });
  });

  it('races 20 identical uploads of one new package file: one creates, the rest answer it; one row each', async () => {
    const ctx = await ctxOf(productToken);
    const content = randomFile(2000);
    const pypi = { engine: 'pypi' as const, packageKey: 'racer', version: '3.1.4', filename: 'racer-3.1.4.tar.gz', duplicates: 'identical' as const, keepFilenames: true };
    const results = await Promise.all(Array.from({ length: 20 }, () => publisher.publish(ctx, file({ ...pypi, content }))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.artifact.id)).size).toBe(1);
    const [row] = await t.db.query(
      `SELECT (SELECT count(*) FROM packages WHERE key = 'racer')::int AS p, (SELECT count(*) FROM releases r JOIN packages k ON k.id = r.package_id WHERE k.key = 'racer')::int AS r,
              (SELECT count(*) FROM artifacts WHERE filename = 'racer-3.1.4.tar.gz')::int AS a`,
    );
    expect(row).toEqual({ p: 1, r: 1, a: 1 });
  });

  it('races 20 uploads of one path with different bytes: one wins, the rest get 409, and only the winner\'s bytes remain', async () => {
    const ctx = await ctxOf(productToken);
    const before = await counts();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        publisher.publish(ctx, file({ packageKey: 'contested', version: '1.2.3', filename: 'c.bin', content: Buffer.from(`bytes ${i}`) })).then(
          (r) => ({ status: r.created ? 201 : 200 }),
          (error: DomainError) => ({ status: error.status }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 201)).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 409)).toHaveLength(19);
    const after = await counts();
    expect(after.artifacts).toBe(before.artifacts + 1);
    expect(after.blobs).toBe(before.blobs + 1);
  });
});
