import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Bytes received and hashed, not yet visible under their final key (SPEC §7). */
export interface StagedBlob {
  size: number;
  sha256: string;
  sha512: string | null;
  /** Makes the bytes visible under the key given to `stage`, durably. */
  commit(): Promise<void>;
  /** Throws the bytes away; nothing remains. */
  discard(): Promise<void>;
}

export interface ByteRange {
  start: number;
  end: number;
}

export interface SweepReport {
  removedBlobs: number;
  removedTemporary: number;
  keptBlobs: number;
}

/** One interface, two drivers: the filesystem and S3-compatible object storage. */
export interface BlobStore {
  readonly driver: 'fs' | 's3';
  /** Streams `source` to a temporary place while hashing; fails with 413 past `maxBytes`. */
  stage(key: string, source: Readable, options: { maxBytes: number; sha512: boolean }): Promise<StagedBlob>;
  /** The bytes of a committed blob, or a byte range of them. */
  open(key: string, range?: ByteRange): Promise<Readable>;
  /** A presigned URL for object storage, or null when the API serves the bytes itself. */
  presignedDownloadUrl(key: string, filename: string, ttlSeconds: number): Promise<string | null>;
  remove(key: string): Promise<void>;
  /** Removes blobs no row references and temporary uploads, both older than `graceMs`. */
  sweep(isReferenced: (keys: string[]) => Promise<Set<string>>, graceMs: number, progress?: (done: number) => void): Promise<SweepReport>;
  ready(): Promise<boolean>;
}

export const BLOB_STORE = Symbol('BLOB_STORE');

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const STORAGE_KEY = new RegExp(`^${UUID}/${UUID}\\.${UUID}$`);

/**
 * Keys come from ids only, never from names a client chose (SPEC §7):
 * `{accountId}/{artifactId}.{uploadId}`. Each upload writes its own key, so two uploads of one
 * artifact never overwrite each other's bytes; the row records the one that won.
 */
export function storageKey(accountId: string, artifactId: string): string {
  const key = `${accountId}/${artifactId}.${randomUUID()}`;
  if (!STORAGE_KEY.test(key)) throw new Error('storage keys are made of ids');
  return key;
}

/** RFC 8187 attr-char: what may stand unencoded in an extended parameter value. */
const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;

/** RFC 8187 §3.2.1 value-chars: UTF-8 bytes, attr-chars as they are, every other byte %XX. */
export function extendedValue(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/**
 * `attachment` with the last segment of the filename (RFC 6266): `filename*` carries it exactly
 * (RFC 8187), and `filename` an ASCII fallback for old clients, without quotes, backslashes or
 * `%` (which some clients would decode, RFC 6266 appendix D).
 */
export function contentDisposition(filename: string): string {
  const base = filename.split('/').pop() ?? filename;
  const ascii = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${extendedValue(base)}`;
}
