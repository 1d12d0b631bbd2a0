/** The fields of a core metadata file (METADATA, PKG-INFO) that the index needs. */
export interface CoreMetadata {
  name: string | null;
  version: string | null;
  requiresPython: string | null;
}

/**
 * Reads the header part of a core metadata file: RFC 822-style `Name: value` lines up to the
 * first blank line, continuation lines starting with whitespace (core metadata specification).
 * Only single-use fields are read, so the first occurrence wins.
 */
export function readCoreMetadata(content: Buffer): CoreMetadata {
  const text = content.toString('utf8');
  const fields = new Map<string, string>();
  let current: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (current && fields.has(current)) fields.set(current, `${fields.get(current)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      current = null;
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    current = fields.has(name) ? null : name;
    if (current) fields.set(current, line.slice(colon + 1).trim());
  }
  const field = (name: string) => fields.get(name) || null;
  return { name: field('name'), version: field('version'), requiresPython: field('requires-python') };
}
