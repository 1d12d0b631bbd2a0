import { inflateRawSync } from 'node:zlib';
import { Unzip, type UnzipDecoder, type UnzipFile } from 'fflate';
import { DomainError } from '../common/errors.js';

/** A wheel's METADATA beyond this many bytes, compressed or not, is refused (a zip bomb, or not metadata). */
export const METADATA_LIMIT = 4 * 1024 * 1024;
/** More entries than this is not a wheel anyone builds; each costs a little memory while streaming. */
const ENTRY_LIMIT = 100_000;

const refused = (detail: string) => new DomainError(400, 'METADATA_INVALID', detail, { parameter: 'content' });

/** Entries whose bytes matter: `{name}-{version}.dist-info/METADATA` at the top level. */
const isMetadata = (name: string) => /^[^/]+\.dist-info\/METADATA$/.test(name);

/**
 * Finds a wheel's `*.dist-info/METADATA` while the wheel streams past (SPEC §6.1), holding only
 * that entry's compressed bytes (at most METADATA_LIMIT) — never the wheel. The central directory
 * sits at the end of a zip and the bytes go to storage as they arrive (into S3 multipart parts
 * that cannot be read back before completion), so the local headers are read in order with
 * fflate's streaming `Unzip`. Every other entry is skipped without being inflated; the METADATA
 * entry is inflated at the end by zlib with `maxOutputLength`, so a bomb stops at the budget.
 */
export class WheelMetadataReader {
  private readonly unzip = new Unzip();
  private readonly registered = new Set<number>();
  private readonly found: { name: string; compression: number; chunks: Buffer[]; size: number }[] = [];
  private entries = 0;
  private failure: DomainError | null = null;

  constructor() {
    this.unzip.onfile = (file) => this.onFile(file);
  }

  push(chunk: Buffer): void {
    if (this.failure) return;
    try {
      this.unzip.push(chunk);
    } catch {
      this.failure = refused('The wheel is not a valid zip archive');
    }
  }

  /** The METADATA bytes once the whole wheel went past; throws 400 when there is none, or several, or too much. */
  finish(): Buffer {
    if (!this.failure) {
      try {
        this.unzip.push(new Uint8Array(0), true);
      } catch {
        this.failure = refused('The wheel is not a valid zip archive (it ends inside an entry)');
      }
    }
    if (this.failure) throw this.failure;
    if (this.found.length === 0) throw refused('The wheel contains no .dist-info/METADATA');
    if (this.found.length > 1) throw refused('The wheel contains more than one .dist-info directory');
    const [entry] = this.found;
    const compressed = Buffer.concat(entry.chunks);
    if (entry.compression === 0) return compressed;
    if (entry.compression !== 8) throw refused(`The wheel's METADATA uses compression method ${entry.compression}; use deflate or none`);
    try {
      return inflateRawSync(compressed, { maxOutputLength: METADATA_LIMIT });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        throw refused(`The wheel's METADATA inflates beyond ${METADATA_LIMIT} bytes`);
      }
      throw refused("The wheel's METADATA is not valid deflate data");
    }
  }

  /** The directory holding METADATA (`{name}-{version}.dist-info`). */
  get distInfo(): string | null {
    return this.found[0]?.name.split('/')[0] ?? null;
  }

  private onFile(file: UnzipFile): void {
    this.entries += 1;
    if (this.entries > ENTRY_LIMIT && !this.failure) this.failure = refused(`The wheel has more than ${ENTRY_LIMIT} entries`);
    // Every entry is "started" with a decoder of ours, so fflate hands its bytes on instead of
    // keeping them in case it is started later; the decoder keeps METADATA's and drops the rest.
    this.registerDecoder(file.compression);
    const entry = isMetadata(file.name) ? { name: file.name, compression: file.compression, chunks: [] as Buffer[], size: 0 } : null;
    if (entry) this.found.push(entry);
    file.ondata = (error, data) => {
      if (error) {
        this.failure ??= refused('The wheel is not a valid zip archive');
        return;
      }
      if (!entry || this.failure || data.length === 0) return;
      entry.size += data.length;
      if (entry.size > METADATA_LIMIT) this.failure = refused(`The wheel's METADATA is larger than ${METADATA_LIMIT} bytes`);
      else entry.chunks.push(Buffer.from(data));
    };
    file.start();
  }

  private registerDecoder(compression: number): void {
    if (this.registered.has(compression)) return;
    this.registered.add(compression);
    // The raw (still compressed) bytes pass through untouched, whatever the method.
    class RawBytes implements UnzipDecoder {
      static compression = compression;
      ondata: UnzipDecoder['ondata'] = () => undefined;
      push(chunk: Uint8Array<ArrayBuffer>, final: boolean): void {
        this.ondata(null, chunk, final);
      }
    }
    this.unzip.register(RawBytes);
  }
}
