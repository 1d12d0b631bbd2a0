import { attributePointer, Errors } from '../common/errors.js';

/**
 * The artifact filename rule shared by every way an artifact is created (SPEC §3.5, and
 * docs/security.md): ≤ 255 characters; `/`-separated segments, none empty, `.` or `..`; no
 * control characters or `\`; no line or paragraph separators; and no invisible formatting
 * characters (Unicode category Cf: bidirectional controls such as U+202E, which make
 * `exe.pdf` display as `fdp.exe`, zero-width characters, the BOM), as package registries
 * refuse them. Returns the name as it is stored and compared: in Unicode NFC, so that a
 * name and its NFD twin (as macOS writes names) are one filename, never two look-alikes.
 */
export function checkFilename(given: string): string {
  const invalid = (detail: string) => Errors.unprocessable('FILENAME_INVALID', detail, attributePointer('filename'));
  const filename = given.normalize('NFC');
  if (filename.length === 0 || filename.length > 255) throw invalid('filename must be 1 to 255 characters');
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(filename)) throw invalid('filename must not contain control characters or "\\"');
  if (/[\p{Cf}\p{Zl}\p{Zp}]/u.test(filename)) {
    throw invalid('filename must not contain invisible formatting characters (bidirectional controls, zero-width characters) or line separators');
  }
  for (const segment of filename.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw invalid('filename segments must not be empty, "." or ".."');
  }
  return filename;
}

/** A filetype: lowercase letters, digits, `_` and `-`, no dot, at most 32 characters (SPEC §3.5). */
const FILETYPE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * The extension of the last segment, lowercased, when it is a valid filetype; else null. One
 * rule for derived and given filetypes: `"trail.bin "` has no extension a filetype could be.
 */
export function extensionOf(filename: string): string | null {
  const base = filename.split('/').pop() ?? filename;
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  return FILETYPE.test(extension) ? extension : null;
}

/** Lowercase, no dot, and the filename's extension when it has one; defaults to that extension. */
export function resolveFiletype(filename: string, given: string | null | undefined): string | null {
  const extension = extensionOf(filename);
  if (given === undefined || given === null) return extension;
  if (!FILETYPE.test(given)) {
    throw Errors.unprocessable('FILETYPE_INVALID', 'filetype must be lowercase letters and digits, without a dot', attributePointer('filetype'));
  }
  if (extension !== null && given !== extension) {
    throw Errors.unprocessable('FILETYPE_INVALID', `filetype must match the filename's extension "${extension}"`, attributePointer('filetype'));
  }
  return given;
}

export interface DeclaredChecksum {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** A declared checksum: sha256 or sha512, in hex or base64. */
export function parseChecksum(checksum: string): DeclaredChecksum {
  if (/^[0-9a-fA-F]{64}$/.test(checksum)) return { algorithm: 'sha256', hex: checksum.toLowerCase() };
  if (/^[0-9a-fA-F]{128}$/.test(checksum)) return { algorithm: 'sha512', hex: checksum.toLowerCase() };
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(checksum)) {
    const bytes = Buffer.from(checksum, 'base64');
    if (bytes.length === 32 && checksum.length === 44) return { algorithm: 'sha256', hex: bytes.toString('hex') };
    if (bytes.length === 64 && checksum.length === 88) return { algorithm: 'sha512', hex: bytes.toString('hex') };
  }
  throw Errors.unprocessable('CHECKSUM_INVALID', 'checksum must be a sha256 or sha512 digest in hex or base64', attributePointer('checksum'));
}
