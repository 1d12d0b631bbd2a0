/** Strict SemVer 2.0.0 versions, channels and their order (SPEC §3.4). */

export const CHANNELS = ['stable', 'rc', 'beta', 'alpha', 'dev'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[] | null;
  build: string[] | null;
}

// The grammar of semver.org: no `v`, no partial versions, no leading zeros.
const NUMERIC = '0|[1-9]\\d*';
const PRE_IDENT = `(?:${NUMERIC}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(
  `^(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})(?:-(${PRE_IDENT}(?:\\.${PRE_IDENT})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

/** Parses a full version, or returns null. Numbers beyond 2^53 are refused. */
export function parseVersion(version: string): ParsedVersion | null {
  if (version.length > 255) return null;
  const match = SEMVER.exec(version);
  if (!match) return null;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number);
  if (![major, minor, patch].every(Number.isSafeInteger)) return null;
  return {
    major,
    minor,
    patch,
    prerelease: match[4] ? match[4].split('.') : null,
    build: match[5] ? match[5].split('.') : null,
  };
}

/** The channel a version belongs to: stable without pre-release, else its first identifier. */
export function channelOf(version: ParsedVersion): string {
  return version.prerelease ? version.prerelease[0] : 'stable';
}

/** Channel sets (SPEC §5): rc includes stable, beta includes rc, alpha includes beta; dev stands alone. */
export const CHANNEL_SETS: Record<Channel, Channel[]> = {
  stable: ['stable'],
  rc: ['stable', 'rc'],
  beta: ['stable', 'rc', 'beta'],
  alpha: ['stable', 'rc', 'beta', 'alpha'],
  dev: ['dev'],
};

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

const pad = (n: number) => String(n).padStart(16, '0');

/** Numeric identifiers sort before alphanumeric ones, numerically; others in ASCII order. */
function identifierKey(identifier: string): string {
  return /^\d+$/.test(identifier) ? `0${String(identifier.length).padStart(3, '0')}${identifier}` : `1${identifier}`;
}

/**
 * A key whose byte order (COLLATE "C") is the version order: semver precedence, then build
 * metadata compared like pre-release identifiers, a version without build metadata lowest
 * (so 1.0.0 < 1.0.0+1 < 1.0.0+2). Identifiers are joined by \x02 and the pre-release part
 * ends with \x01, both below every identifier character, so a shorter list sorts first.
 */
export function versionSortKey(version: ParsedVersion): string {
  const join = (identifiers: string[]) => identifiers.map(identifierKey).join('\x02');
  const pre = version.prerelease ? `0${join(version.prerelease)}` : '1';
  const build = version.build ? `1${join(version.build)}` : '0';
  return `${pad(version.major)}.${pad(version.minor)}.${pad(version.patch)}${pre}\x01${build}`;
}

/** The stored parts of a version, with the key its order is computed from. */
export function semverColumns(parsed: ParsedVersion) {
  return {
    semverMajor: parsed.major,
    semverMinor: parsed.minor,
    semverPatch: parsed.patch,
    semverPrerelease: parsed.prerelease?.join('.') ?? null,
    semverBuild: parsed.build?.join('.') ?? null,
    sortKey: versionSortKey(parsed),
  };
}
/**
 * The bounds of a version's precedence class in sort-key order, build metadata ignored (as
 * semver ranges ignore it): every key of `X.Y.Z-pre+anything` is ≥ `from` and < `to`, and
 * every other version's key lies outside. Used to turn version ranges into sort-key ranges.
 */
export function precedenceBounds(version: ParsedVersion): { from: string; to: string } {
  const prefix = versionSortKey({ ...version, build: null }).slice(0, -2);
  return { from: `${prefix}\x01`, to: `${prefix}\x02` };
}

/** The sort-key prefix shared by every version with these leading numbers (SPEC §5 constraints). */
export function numbersPrefix(numbers: number[]): string {
  return numbers.map(pad).join('.');
}

