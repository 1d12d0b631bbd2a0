import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver, { type S3rverContext } from 's3rver';

export interface TestS3 {
  env: Record<string, string>;
  /** While set, requests it matches get 500 InternalError (the SDK's retries included). */
  failing: ((method: string, url: URL) => boolean) | null;
  close(): Promise<void>;
}

/** An S3-compatible server in the test process (s3rver), with an empty bucket. */
export async function startS3(): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'keyshelf-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const s3: TestS3 = {
    env: {},
    failing: null,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
  const injectedFailures = async (ctx: S3rverContext, next: () => Promise<void>) => {
    if (!s3.failing?.(ctx.method, new URL(ctx.url, 'http://s3rver'))) return next();
    ctx.status = 500;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>Injected by the test.</Message></Error>`;
  };
  server.middleware.unshift(injectedFailures, oneAuthMechanism, multipartUploadLifecycle(directory));
  const { port } = (await server.run()) as { port: number };
  s3.env = {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: 'keyshelf-test',
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
  return s3;
}

/**
 * As AWS S3 does (and s3rver does not): a presigned URL that also carries an Authorization header
 * is refused. A client that forwarded its Keyshelf credentials across the redirect fails here as
 * it would in production.
 */
async function oneAuthMechanism(ctx: S3rverContext, next: () => Promise<void>): Promise<void> {
  if (!new URL(ctx.url, 'http://s3rver').searchParams.has('X-Amz-Signature') || ctx.headers.authorization === undefined) return next();
  ctx.status = 400;
  ctx.type = 'application/xml';
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm ` +
    `query parameter, Signature query string parameter or the Authorization header should be specified</Message></Error>`;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * s3rver keeps multipart uploads but answers AbortMultipartUpload and ListMultipartUploads with
 * 405/501. Both are added here (path-style requests, as the tests configure the driver), over
 * s3rver's own files (`{bucket}/._S3rver_uploads/{uploadId}/key`), so that the driver's aborts
 * really remove an upload and a test can list, through the S3 API, the uploads left incomplete.
 */
function multipartUploadLifecycle(directory: string) {
  const uploadsOf = (bucket: string) => join(directory, bucket, '._S3rver_uploads');
  return async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    const url = new URL(ctx.url, 'http://s3rver');
    const [bucket, ...key] = url.pathname.slice(1).split('/');
    const uploadId = url.searchParams.get('uploadId');
    if (ctx.method === 'DELETE' && uploadId !== null && key.join('') !== '') {
      const dir = join(uploadsOf(bucket), uploadId);
      if (!/^[0-9a-f]+$/.test(uploadId) || !(await stat(dir).catch(() => null))) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
        return;
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && url.searchParams.has('uploads') && key.join('') === '') {
      const uploads: string[] = [];
      for (const id of await readdir(uploadsOf(bucket)).catch(() => [] as string[])) {
        // The `key` file is written when the upload is initiated and never again.
        const keyFile = join(uploadsOf(bucket), id, 'key');
        const [name, info] = await Promise.all([readFile(keyFile, 'utf8').catch(() => null), stat(keyFile).catch(() => null)]);
        if (name !== null && info) uploads.push(`<Upload><Key>${xml(name)}</Key><UploadId>${id}</UploadId><Initiated>${info.mtime.toISOString()}</Initiated></Upload>`);
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xml(bucket)}</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    await next();
  };
}
