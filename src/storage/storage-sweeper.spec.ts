import type { DataSource } from 'typeorm';
import type { BlobStore } from './blob-store.js';
import { sweepStorage } from './storage-sweeper.js';

describe('sweepStorage', () => {
  it('looks keys up in bounded batches, however many blobs a directory holds', async () => {
    const batches: number[] = [];
    const db = {
      query: async (_sql: string, [keys]: [string[]]) => {
        batches.push(keys.length);
        return keys.filter((key) => key.endsWith('7')).map((key) => ({ storage_key: key }));
      },
    } as unknown as DataSource;
    const keys = Array.from({ length: 2500 }, (_, i) => `key-${i}`);
    let referenced = new Set<string>();
    const store = {
      sweep: async (isReferenced: (keys: string[]) => Promise<Set<string>>) => {
        referenced = await isReferenced(keys);
        return { removedBlobs: 0, removedTemporary: 0, keptBlobs: 0 };
      },
    } as unknown as BlobStore;
    await sweepStorage(db, store, 0);
    expect(batches).toEqual([1000, 1000, 500]);
    expect(referenced.size).toBe(250);
  });
});
