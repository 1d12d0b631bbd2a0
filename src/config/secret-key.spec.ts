import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSecretKey } from './secret-key.js';

describe('resolveSecretKey (SPEC §8.1, §9)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'keyshelf-secret-')), 'data');
  });
  afterEach(async () => {
    await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('uses SECRET_KEY when set, writing nothing', async () => {
    const key = 'k'.repeat(40);
    expect(await resolveSecretKey(key, dataDir)).toBe(key);
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('instances sharing DATA_DIR starting together all get the one generated key', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => resolveSecretKey(null, dataDir)));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0].length).toBeGreaterThanOrEqual(32);
    expect((await readFile(join(dataDir, 'secret-key'), 'utf8')).trim()).toBe(keys[0]);
    expect((await stat(join(dataDir, 'secret-key'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual(['secret-key']);
    // A later start reads the same key.
    expect(await resolveSecretKey(null, dataDir)).toBe(keys[0]);
  });
});
