import { createHash } from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
import type request from 'supertest';

export const digest = (algorithm: 'sha256' | 'md5', bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

export function coreMetadata(name: string, version: string, requiresPython?: string): string {
  return [`Metadata-Version: 2.1`, `Name: ${name}`, `Version: ${version}`, ...(requiresPython ? [`Requires-Python: ${requiresPython}`] : []), '', `# ${name}`, ''].join('\n');
}

/** A wheel as a build backend writes it (deflated entries, METADATA in `{name}-{version}.dist-info`). */
export function wheel(name: string, version: string, options: { requiresPython?: string; metadata?: string | null; extra?: Zippable; level?: 0 | 6 } = {}): Buffer {
  const distInfo = `${name.replace(/[-_.]+/g, '_')}-${version}.dist-info`;
  const files: Zippable = {
    [`${name.replace(/[-_.]+/g, '_')}/__init__.py`]: Buffer.from(`VERSION = "${version}"\n`),
    [`${distInfo}/WHEEL`]: Buffer.from('Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
    ...options.extra,
  };
  const metadata = options.metadata === undefined ? coreMetadata(name, version, options.requiresPython) : options.metadata;
  if (metadata !== null) files[`${distInfo}/METADATA`] = Buffer.from(metadata);
  return Buffer.from(zipSync(files, { level: options.level ?? 6 }));
}

export const wheelName = (name: string, version: string) => `${name.replace(/[-_.]+/g, '_')}-${version}-py3-none-any.whl`;

/** twine's fields, in twine's order, then the file. */
export function twineForm(req: request.Test, file: { filename: string; bytes: Buffer }, fields: Record<string, string | undefined>): request.Test {
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) req = req.field(name, value);
  return req.attach('content', file.bytes, { filename: file.filename, contentType: 'application/octet-stream' });
}

export function twineFields(name: string, version: string, bytes: Buffer, filetype: 'bdist_wheel' | 'sdist', extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ':action': 'file_upload',
    protocol_version: '1',
    name,
    version,
    filetype,
    pyversion: filetype === 'sdist' ? 'source' : 'py3',
    metadata_version: '2.1',
    summary: 'A test package',
    md5_digest: digest('md5', bytes),
    sha256_digest: digest('sha256', bytes),
    ...extra,
  };
}
