import { ARTIFACT_STATUSES } from '../database/entities/artifact.entity.js';
import { ENGINE_KEYS } from '../database/entities/package.entity.js';
import { RELEASE_STATUSES } from '../database/entities/release.entity.js';
import { DEFAULT_PAGE_SIZE, MAX_LIST_VALUES, MAX_PAGE_SIZE } from '../common/list-query.js';
import { CHANNELS } from '../releases/version.js';
import type { QueryDoc } from './operation.js';
import { oneOf, string, type Schema } from './schema.js';

/** Path parameters by name (SPEC §1.1: an id, or the resource's natural key). */
export const PATH_PARAMETERS: Record<string, string> = {
  account: 'The account id or slug',
  id: 'The id, or the natural key: product code, package key, entitlement code, release version or tag (a `+` sent as `%2B`), artifact filename, user email, engine key',
  constraint: 'The constraint id',
  product: 'The product id or code',
  package: 'The package key (or id)',
  project: 'The PyPI project name (PEP 503 normalized; other spellings are redirected with 301)',
  sha256: 'The file’s sha256, lowercase hex',
  filename: 'The file name',
  version: 'A semantic version (`+` sent as `%2B`)',
  accountId: 'The account id',
  artifactId: 'The artifact id',
  name: 'The file name (for the saved file; not checked)',
};

const channelSet = 'channel set of SPEC §5: `stable` → stable; `rc` → stable, rc; `beta` → …, beta; `alpha` → …, alpha; `dev` → dev';

export const PAGE_PARAMETERS: readonly QueryDoc[] = [
  { name: 'page[number]', description: 'Page number, from 1', schema: { type: 'integer', minimum: 1, default: 1 } },
  { name: 'page[size]', description: `Page size, 1–${MAX_PAGE_SIZE}`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE } },
  { name: 'order', description: 'Order by creation time', schema: oneOf(['asc', 'desc'], { default: 'desc' }) },
];

/** Filters by name; `status` differs per resource and is given by the caller. */
const FILTERS: Record<string, QueryDoc> = {
  product: { name: 'product', description: 'A product id or code' },
  package: { name: 'package', description: 'A package id or key; empty: records without a package' },
  channel: { name: 'channel', description: `A ${channelSet}`, schema: oneOf(CHANNELS) },
  yanked: { name: 'yanked', description: 'Only yanked releases (true) or only the others (false)', schema: oneOf(['true', 'false']) },
  entitlements: {
    name: 'entitlements[]',
    description: `Entitlement codes the release requires (at most ${MAX_LIST_VALUES})`,
    schema: { type: 'array', items: string(), maxItems: MAX_LIST_VALUES },
  },
  engine: { name: 'engine', description: 'An engine key', schema: oneOf(ENGINE_KEYS) },
  policy: { name: 'policy', description: 'A policy id' },
  user: { name: 'user', description: 'A user id or email' },
  event: { name: 'event', description: 'An event name, such as `release.published`' },
  resource: { name: 'resource', description: 'The id of the record the events are about' },
  release: { name: 'release', description: 'A release id, version or tag' },
  filetype: { name: 'filetype', description: 'A file type (lowercase extension, no dot)' },
  platform: { name: 'platform', description: 'A platform, such as `linux`' },
  arch: { name: 'arch', description: 'An architecture, such as `x86_64`' },
};

const STATUS_FILTERS: Record<string, Schema> = {
  releases: oneOf(RELEASE_STATUSES),
  artifacts: oneOf(ARTIFACT_STATUSES),
};

/** The query parameters of a list: pagination, order and the resource's filters (SPEC §1.4). */
export function listParameters(resource: string, filters: readonly string[] = []): QueryDoc[] {
  return [
    ...PAGE_PARAMETERS,
    ...filters.map((name) =>
      name === 'status' ? { name, description: 'A status', schema: STATUS_FILTERS[resource] ?? string() } : (FILTERS[name] ?? { name, description: name }),
    ),
  ];
}

/** A filter's parameter, for lookups that take a few (`GET /artifacts/{filename}`). */
export const filterParameters = (names: readonly string[]): QueryDoc[] => names.map((name) => FILTERS[name]);

/** `?product=&package=` narrowing a `{version|tag}` that several products or packages share (SPEC §3.4). */
export const NARROWING: readonly QueryDoc[] = [
  { name: 'product', description: 'The product id or code, when a version or tag names releases of several products' },
  { name: 'package', description: 'The package id or key; empty: the release without a package' },
];

export const UPGRADE_PARAMETERS: readonly QueryDoc[] = [
  { name: 'channel', description: `The ${channelSet} (default: the current release’s channel)`, schema: oneOf(CHANNELS) },
  {
    name: 'constraint',
    description: 'Keygen form without operator (`1`, `1.2`, `1.2.3`, `1-beta`, `1+foo`) or an npm semver range (`^1.2`, `~1.2.3`, `>=1.0.0 <3`)',
  },
  ...NARROWING,
];
