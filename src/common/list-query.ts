import type { Request } from 'express';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { Errors } from './errors.js';
import { JsonApiDocument, type PageLinks, type ResourceObject } from './jsonapi.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 10;
/** A list-valued parameter (`entitlements[]=…`, a repeated name) carries at most this many values, like a page. */
export const MAX_LIST_VALUES = 100;

export interface ListQuery {
  page: { number: number; size: number };
  order: 'ASC' | 'DESC';
  /** Filter values as sent; a repeated or `name[]` parameter gives an array. */
  filters: Record<string, string | string[]>;
}

const PAGE_KEY = /^page\[(number|size)\]$/;

function positiveInteger(parameter: string, raw: unknown, max: number): number {
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) {
    throw Errors.badParameter(parameter, `${parameter} must be a whole number between 1 and ${max}`);
  }
  const value = Number(raw);
  if (value < 1 || value > max) {
    throw Errors.badParameter(parameter, `${parameter} must be between 1 and ${max}`);
  }
  return value;
}

/**
 * Reads pagination (SPEC §1.4), order and the resource's documented filters from the query
 * string. Anything else — another shape of `page`, an unknown filter — is a 400.
 */
export function parseListQuery(query: Record<string, unknown>, allowedFilters: readonly string[] = []): ListQuery {
  const result: ListQuery = { page: { number: 1, size: DEFAULT_PAGE_SIZE }, order: 'DESC', filters: {} };
  for (const [key, raw] of Object.entries(query)) {
    const pageKey = PAGE_KEY.exec(key);
    if (pageKey) {
      const max = pageKey[1] === 'size' ? MAX_PAGE_SIZE : 1_000_000;
      result.page[pageKey[1] as 'number' | 'size'] = positiveInteger(key, raw, max);
      continue;
    }
    if (key === 'page' || key.startsWith('page[')) {
      throw Errors.badParameter(key, 'page accepts only page[number] and page[size]');
    }
    if (key === 'order') {
      if (raw !== 'asc' && raw !== 'desc') throw Errors.badParameter('order', 'order must be asc or desc');
      result.order = raw === 'asc' ? 'ASC' : 'DESC';
      continue;
    }
    const name = key.endsWith('[]') ? key.slice(0, -2) : key;
    if (!allowedFilters.includes(name)) {
      throw Errors.badParameter(key, `${key} is not a supported parameter here`, 'PARAMETER_UNPERMITTED');
    }
    const values = Array.isArray(raw) ? raw : [raw];
    if (!values.every((value): value is string => typeof value === 'string')) {
      throw Errors.badParameter(key, `${key} must be a plain value`);
    }
    if (values.length > MAX_LIST_VALUES) {
      throw Errors.badParameter(key, `${key} takes at most ${MAX_LIST_VALUES} values`);
    }
    result.filters[name] = key.endsWith('[]') || values.length > 1 ? values : values[0];
  }
  return result;
}

/** A single-valued filter, or undefined; an array where one value is expected is a 400. */
export function singleFilter(query: ListQuery, name: string): string | undefined {
  const value = query.filters[name];
  if (Array.isArray(value)) throw Errors.badParameter(name, `${name} takes a single value`);
  return value;
}

/** A list-valued filter (at most MAX_LIST_VALUES values), or undefined. */
export function listFilter(query: ListQuery, name: string): string[] | undefined {
  const value = query.filters[name];
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}

export function pageLinks(req: Request, query: ListQuery, count: number): { links: PageLinks; meta: { pages: number; count: number } } {
  const pages = Math.max(1, Math.ceil(count / query.page.size));
  const link = (number: number) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query)) {
      if (PAGE_KEY.test(key)) continue;
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
    }
    params.set('page[number]', String(number));
    params.set('page[size]', String(query.page.size));
    return `${req.path}?${params.toString().replace(/%5B/g, '[').replace(/%5D/g, ']')}`;
  };
  const current = query.page.number;
  return {
    links: {
      self: link(current),
      first: link(1),
      prev: current > 1 ? link(Math.min(current - 1, pages)) : null,
      next: current < pages ? link(current + 1) : null,
      last: link(pages),
    },
    meta: { pages, count },
  };
}

/** A paged list document with links and meta (SPEC §1.4). */
export function listDocument<T>(
  req: Request,
  query: ListQuery,
  [rows, count]: [T[], number],
  serialize: (row: T) => ResourceObject,
): JsonApiDocument {
  return new JsonApiDocument({ data: rows.map(serialize), ...pageLinks(req, query, count) });
}

/**
 * Applies the list order (created, then id as tie-breaker) and the page to a query. Plain
 * OFFSET/LIMIT: scopes join only to filter, never to select.
 */
export function paged<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string, query: ListQuery): SelectQueryBuilder<T> {
  return qb
    .orderBy(`${alias}.created_at`, query.order)
    .addOrderBy(`${alias}.id`, query.order)
    .offset((query.page.number - 1) * query.page.size)
    .limit(query.page.size);
}
