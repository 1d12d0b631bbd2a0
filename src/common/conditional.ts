/**
 * Conditional requests on entity tags (RFC 9110 §13.1), one helper for every route that serves
 * an ETag. Entity tags are read from the list as the grammar has them (`W/"…"` or `"…"`, commas
 * between), so a comma inside a quoted tag is no separator.
 */
const ENTITY_TAG = /\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/gy;

interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** The tags of an `If-None-Match` or `If-Match` list; null for `*`; [] when it cannot be read. */
function entityTags(header: string): EntityTag[] | null {
  if (header.trim() === '*') return null;
  const tags: EntityTag[] = [];
  ENTITY_TAG.lastIndex = 0;
  for (let match = ENTITY_TAG.exec(header); match && match[0] !== ''; match = ENTITY_TAG.exec(header)) {
    tags.push({ weak: Boolean(match[1]), opaque: match[2] });
  }
  return tags;
}

const opaqueOf = (etag: string) => etag.replace(/^W\//, '');

/**
 * True when `If-None-Match` holds no tag matching the current one (RFC 9110 §13.1.2): `*`
 * matches any current representation, and the comparison is weak (`W/"a"` matches `"a"`).
 * The answer is 304 for GET and HEAD when this is false.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  const tags = entityTags(header);
  if (tags === null) return false;
  return !tags.some((tag) => tag.opaque === opaqueOf(etag));
}

/** `If-Range` with an entity tag uses the strong comparison: a weak tag never matches (RFC 9110 §13.1.5). */
export function rangeStillValid(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  const value = header.trim();
  return !value.startsWith('W/') && !etag.startsWith('W/') && value === etag;
}
