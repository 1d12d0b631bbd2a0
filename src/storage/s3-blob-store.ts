import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { AppConfig } from '../config/config.js';
import { type BlobStore, type ByteRange, contentDisposition, type StagedBlob, STORAGE_KEY, type SweepReport } from './blob-store.js';
import { UploadDigest } from './hashing.js';

/** Parts of 8 MiB: the most an upload holds in memory at once. */
const PART_SIZE = 8 * 1024 * 1024;

/**
 * S3-compatible storage (AWS S3, MinIO, Ceph RGW, R2). An upload becomes visible only when it
 * completes: small ones by one PutObject at commit, larger ones as a multipart upload completed
 * at commit and aborted otherwise. Downloads are presigned GETs.
 */
export class S3BlobStore implements BlobStore {
  readonly driver = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;

  /** Signs download URLs for the address clients use, which may differ from the server's. */
  private readonly presigner: S3Client;

  constructor(s3: AppConfig['storage']['s3']) {
    this.bucket = s3.bucket!;
    this.client = s3Client(s3, s3.endpoint);
    // Presigning is local computation: this client never sends a request (SPEC §7, §9).
    this.presigner = s3.publicEndpoint ? s3Client(s3, s3.publicEndpoint) : this.client;
  }

  /**
   * Creates the bucket when it does not exist yet (a fresh MinIO, say). Instances starting
   * together may both try: a creation that fails is fine when the bucket now exists (SPEC §9).
   */
  async ensureBucket(): Promise<void> {
    if (await this.ready()) return;
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!(await this.ready())) throw error;
    }
  }

  async stage(key: string, source: Readable, options: { maxBytes: number; sha512: boolean }): Promise<StagedBlob> {
    if (!STORAGE_KEY.test(key)) throw new Error('invalid storage key');
    const digest = new UploadDigest(options.maxBytes, options.sha512);
    let pending: Buffer[] = [];
    let pendingSize = 0;
    let uploadId: string | null = null;
    const parts: { ETag?: string; PartNumber: number }[] = [];
    const abort = async () => {
      if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    };
    const flushPart = async () => {
      if (!uploadId) {
        const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }));
        uploadId = created.UploadId!;
      }
      const body = Buffer.concat(pending, pendingSize);
      pending = [];
      pendingSize = 0;
      const PartNumber = parts.length + 1;
      const { ETag } = await this.client.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }),
      );
      parts.push({ ETag, PartNumber });
    };
    try {
      for await (const chunk of source) {
        digest.update(chunk as Buffer);
        pending.push(chunk as Buffer);
        pendingSize += (chunk as Buffer).length;
        if (pendingSize >= PART_SIZE) await flushPart();
      }
      if (uploadId && pendingSize > 0) await flushPart();
    } catch (error) {
      await abort();
      throw error;
    }
    const { sha256, sha512 } = digest.digests();
    const small = uploadId === null ? Buffer.concat(pending, pendingSize) : null;
    return {
      size: digest.size,
      sha256,
      sha512,
      commit: async () => {
        if (small) {
          await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: small, ContentLength: small.length }));
          return;
        }
        await this.client.send(
          new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId!, MultipartUpload: { Parts: parts } }),
        );
      },
      discard: abort,
    };
  }

  async open(key: string, range?: ByteRange): Promise<Readable> {
    const object = await this.client.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
    );
    return object.Body as Readable;
  }

  presignedDownloadUrl(key: string, filename: string, ttlSeconds: number): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: 'application/octet-stream',
      ResponseContentDisposition: contentDisposition(filename),
    });
    return getSignedUrl(this.presigner, command, { expiresIn: ttlSeconds });
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async sweep(isReferenced: (keys: string[]) => Promise<Set<string>>, graceMs: number, progress?: (done: number) => void): Promise<SweepReport> {
    const cutoff = Date.now() - graceMs;
    const report: SweepReport = { removedBlobs: 0, removedTemporary: 0, keptBlobs: 0 };
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      const objects = (page.Contents ?? []).filter((object) => object.Key && STORAGE_KEY.test(object.Key));
      const referenced = await isReferenced(objects.map((object) => object.Key!));
      for (const object of objects) {
        if (!referenced.has(object.Key!) && (object.LastModified?.getTime() ?? 0) <= cutoff) {
          await this.remove(object.Key!);
          report.removedBlobs += 1;
        } else {
          report.keptBlobs += 1;
        }
      }
      progress?.(report.removedBlobs + report.keptBlobs);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket })).catch((error: Error) => {
      // Some S3-compatible servers (s3rver) do not list multipart uploads; nothing to abort then.
      if (error.name === 'NotImplemented') return { Uploads: [] };
      throw error;
    });
    for (const upload of uploads.Uploads ?? []) {
      if ((upload.Initiated?.getTime() ?? 0) <= cutoff) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        report.removedTemporary += 1;
      }
    }
    return report;
  }

  async ready(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch {
      return false;
    }
  }
}

function s3Client(s3: AppConfig['storage']['s3'], endpoint: string | null): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: endpoint ?? undefined,
    forcePathStyle: s3.forcePathStyle,
    credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
    // Streamed uploads must be stored byte-exact (SPEC §7, STACK-NOTES).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
