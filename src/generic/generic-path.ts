import { Errors } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { channelOf, isChannel, parseVersion } from '../releases/version.js';

/** A generic registry path as the client named it, checked (SPEC §6.3). */
export interface PackagePath {
  package: string;
}
export interface VersionPath extends PackagePath {
  version: string;
}
export interface FilePath extends VersionPath {
  filename: string;
}

const PACKAGE = /^[A-Za-z0-9._-]{1,255}$/;
const FILENAME = /^[A-Za-z0-9._+-]{1,255}$/;

/**
 * Names are checked after URL decoding (Express decodes path parameters), so an encoded `/`,
 * `\`, NUL or `..` is refused here like a literal one; a refusal names the parameter.
 */
function checkName(parameter: 'package' | 'filename', value: string, pattern: RegExp, allowed: string): string {
  const invalid = (detail: string) => Errors.badParameter(parameter, detail, `${parameter.toUpperCase()}_INVALID`);
  if (!pattern.test(value)) throw invalid(`${parameter} must be 1 to 255 letters, digits, ${allowed}`);
  if (value === '.' || value === '..') throw invalid(`${parameter} must not be "." or ".."`);
  // Packages are addressed by id or key elsewhere in the API, so no key may look like an id (SPEC §1.1).
  if (parameter === 'package' && isUuid(value)) throw invalid('package must not look like a UUID');
  return value;
}

type Params = Record<string, string>;

/** Each takes the route's query where it takes no parameters: anything there is a 400 (SPEC §1.4). */
export function packagePath(params: Params, query: Record<string, unknown> = {}): PackagePath {
  onlyParameters(query);
  return { package: checkName('package', params.package, PACKAGE, '".", "-" or "_"') };
}

export function versionPath(params: Params, query: Record<string, unknown> = {}): VersionPath {
  const path = packagePath(params, query);
  const parsed = parseVersion(params.version);
  if (!parsed) throw Errors.badParameter('version', 'version must be a full semantic version such as 1.2.3 or 2.0.0-beta.1', 'VERSION_INVALID');
  // A release's channel comes from its pre-release (SPEC §3.4), so no other version can exist.
  if (!isChannel(channelOf(parsed))) {
    throw Errors.badParameter('version', 'the pre-release must start with rc, beta, alpha or dev (e.g. 1.0.0-beta.1)', 'VERSION_CHANNEL_INVALID');
  }
  return { ...path, version: params.version };
}

export function filePath(params: Params, query: Record<string, unknown> = {}): FilePath {
  const path = versionPath(params, query);
  return { ...path, filename: checkName('filename', params.filename, FILENAME, '".", "-", "_" or "+"') };
}

/** `?product=` names a new package's product (SPEC §6.3); no other parameter is taken. */
export function productParameter(query: Record<string, unknown>): string | undefined {
  return onlyParameters(query, ['product']).product;
}

function onlyParameters(query: Record<string, unknown>, allowed: readonly string[] = []): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key)) throw Errors.badParameter(key, `${key} is not a supported parameter here`, 'PARAMETER_UNPERMITTED');
    if (typeof value !== 'string') throw Errors.badParameter(key, `${key} takes a single value`);
    values[key] = value;
  }
  return values;
}
