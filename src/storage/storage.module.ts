import { Global, Module } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { BLOB_STORE, type BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';
import { SignedUrls } from './signed-urls.js';
import { StorageSweeper } from './storage-sweeper.js';

export async function createBlobStore(config: AppConfig): Promise<BlobStore> {
  if (config.storage.driver === 's3') {
    const store = new S3BlobStore(config.storage.s3);
    await store.ensureBucket();
    return store;
  }
  return new FsBlobStore(join(config.dataDir, 'storage'));
}

@Global()
@Module({
  providers: [
    { provide: BLOB_STORE, inject: [APP_CONFIG], useFactory: createBlobStore },
    SignedUrls,
    StorageSweeper,
  ],
  exports: [BLOB_STORE, SignedUrls, StorageSweeper],
})
export class StorageModule {}
