import fs, { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FsBlobStore } from './fs-blob-store.js';

/**
 * An upload that fails while it is staged leaves nothing behind (SPEC §7), however the file
 * system's work is scheduled: the temporary file is opened by the thread pool, and a busy pool
 * (the embedded database, a loaded machine) can open it after the source failed and the staging
 * gave up. Here every open of a temporary upload is held back for a while, as such a pool would.
 */
describe('FsBlobStore.stage, a source that fails', () => {
  const KEY = '00000000-0000-4000-8000-000000000001/00000000-0000-4000-8000-000000000002.00000000-0000-4000-8000-000000000003';
  let root: string;
  let store: FsBlobStore;
  const open = fs.open;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'keyshelf-stage-'));
    store = new FsBlobStore(root);
    // fs write streams open their file through `fs.open`, looked up when they open it.
    (fs as { open: unknown }).open = (path: fs.PathLike, ...rest: unknown[]) => {
      if (String(path).startsWith(join(root, 'tmp'))) setTimeout(() => (open as (...args: unknown[]) => void)(path, ...rest), 100);
      else (open as (...args: unknown[]) => void)(path, ...rest);
    };
  });
  afterEach(async () => {
    fs.open = open;
    await rm(root, { recursive: true, force: true });
  });

  const staged = () => (existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')) : []);
  const openOnStorage = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(root);
      } catch {
        return false;
      }
    }).length;
  /** Rejects with the source's error; once it has, no temporary file exists or appears, and none is open. */
  const expectNothingLeft = async (source: Readable, message: string) => {
    await expect(store.stage(KEY, source, { maxBytes: 1 << 20, sha512: false })).rejects.toThrow(message);
    expect(openOnStorage()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(staged()).toEqual([]);
    expect(openOnStorage()).toBe(0);
  };

  it('failed before staging began (a multipart body cut where its file part begins)', async () => {
    const source = new PassThrough();
    source.on('error', () => undefined);
    source.destroy(new Error('Unexpected end of form'));
    await new Promise((resolve) => setImmediate(resolve));
    await expectNothingLeft(source, 'Unexpected end of form');
  });

  it('fails while its temporary file is being opened', async () => {
    const source = new PassThrough();
    setTimeout(() => source.destroy(new Error('the client went away')), 20);
    await expectNothingLeft(source, 'the client went away');
  });

  it('fails after some of its bytes were written', async () => {
    const source = new PassThrough();
    source.write(Buffer.alloc(64 * 1024, 1));
    setTimeout(() => source.destroy(new Error('Unexpected end of file')), 200);
    await expectNothingLeft(source, 'Unexpected end of file');
  });

  it('is over the size limit: 413, nothing left', async () => {
    const source = Readable.from([Buffer.alloc(600 * 1024), Buffer.alloc(600 * 1024)]);
    await expectNothingLeft(source, 'larger than the limit');
  });
});
