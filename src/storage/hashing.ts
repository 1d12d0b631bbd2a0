import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DomainError } from '../common/errors.js';

export const payloadTooLarge = (maxBytes: number) =>
  new DomainError(413, 'PAYLOAD_TOO_LARGE', `The upload is larger than the limit of ${maxBytes} bytes`);

/** Counts and hashes bytes as they arrive; throws 413 as soon as more than `maxBytes` came. */
export class UploadDigest {
  size = 0;
  private readonly sha256: Hash = createHash('sha256');
  private readonly sha512: Hash | null;

  constructor(
    private readonly maxBytes: number,
    withSha512: boolean,
  ) {
    this.sha512 = withSha512 ? createHash('sha512') : null;
  }

  update(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) throw payloadTooLarge(this.maxBytes);
    this.sha256.update(chunk);
    this.sha512?.update(chunk);
  }

  digests(): { sha256: string; sha512: string | null } {
    return { sha256: this.sha256.digest('hex'), sha512: this.sha512?.digest('hex') ?? null };
  }
}

/** The same as a stream stage, whatever Content-Length said. */
export class HashingLimiter extends Transform {
  readonly digest: UploadDigest;

  constructor(maxBytes: number, withSha512: boolean) {
    super();
    this.digest = new UploadDigest(maxBytes, withSha512);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.digest.update(chunk);
      callback(null, chunk);
    } catch (error) {
      callback(error as Error);
    }
  }
}
