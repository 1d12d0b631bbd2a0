import { Errors } from './errors.js';
import { MAX_LIST_VALUES } from './list-query.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON value's type as an error message names it ("not an object", "not null"). */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return String(value).slice(0, 32);
  if (typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Every member of a request document's object must be one the endpoint reads: an unknown
 * member is a 400 naming it (SPEC §1.2), never silently ignored.
 */
export function onlyMembers(object: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) throw Errors.badRequest('MEMBER_UNPERMITTED', `${key} is not allowed here`, { pointer: `${at}/${escapePointer(key)}` });
  }
}

/** RFC 6901: `~` and `/` in a member name are escaped in a JSON pointer. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The `data` list of a to-many request document (attach and detach bodies, SPEC §3.4, §3.6):
 * 1 to MAX_LIST_VALUES objects of the given type (bounded like every list), each with only the
 * allowed members.
 */
export function dataList(body: unknown, type: string, members: readonly string[]): Record<string, unknown>[] {
  if (!isPlainObject(body) || !Array.isArray(body.data) || body.data.length === 0 || body.data.length > MAX_LIST_VALUES) {
    throw Errors.badRequest('DATA_INVALID', `data must be a list of 1 to ${MAX_LIST_VALUES} ${type}`, { pointer: '/data' });
  }
  onlyMembers(body, ['data'], '');
  return body.data.map((item: unknown, index) => {
    if (!isPlainObject(item) || item.type !== type) {
      throw Errors.badRequest('TYPE_INVALID', `each item must be an object of type "${type}"`, { pointer: `/data/${index}/type` });
    }
    onlyMembers(item, members, `/data/${index}`);
    return item;
  });
}
