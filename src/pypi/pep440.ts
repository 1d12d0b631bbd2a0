import { clean, explain, validRange } from '@renovatebot/pep440';
import { DomainError } from '../common/errors.js';

const unmappable = (version: string, reason: string) =>
  new DomainError(400, 'VERSION_INVALID', `Version ${version} cannot be published here: ${reason}`, { parameter: 'version' });

const PRE_CHANNELS: Record<string, string> = { a: 'alpha', b: 'beta', rc: 'rc' };

/**
 * A PEP 440 version as the release's SemVer (SPEC §6.1): `X[.Y[.Z]]` → `X.Y.Z`; `aN`, `bN`,
 * `rcN` → `-alpha.N`, `-beta.N`, `-rc.N`; `.devN` → `-dev.N`; `.postN` → `+post.N`. What has no
 * faithful SemVer form is refused with the reason, never approximated: epochs, local versions,
 * more than three release numbers, and `.dev` combined with a pre- or post-release (both would
 * sort differently in SemVer than in PEP 440).
 */
export function semverOfPep440(version: string): string {
  const parsed = explain(version);
  if (!parsed) throw unmappable(version, 'it is not a valid PEP 440 version');
  if (parsed.epoch !== 0) throw unmappable(version, 'epochs (N!) have no SemVer form');
  if (parsed.local !== null) throw unmappable(version, 'local versions (+label) are not accepted by package indexes');
  if (parsed.release.length > 3) throw unmappable(version, 'more than three release numbers have no SemVer form');
  if (parsed.dev !== null && (parsed.pre !== null || parsed.post !== null)) {
    throw unmappable(version, '.devN combined with a pre-release or a post-release has no SemVer form');
  }
  const numbers = [...parsed.release, ...(parsed.pre ? [parsed.pre[1]] : []), parsed.post, parsed.dev].filter((n) => n !== null);
  if (!numbers.every((n) => Number.isSafeInteger(n))) throw unmappable(version, 'a number in it is too large');

  const [major, minor = 0, patch = 0] = parsed.release;
  let semver = `${major}.${minor}.${patch}`;
  if (parsed.pre) semver += `-${PRE_CHANNELS[String(parsed.pre[0])]}.${parsed.pre[1]}`;
  if (parsed.dev !== null) semver += `-dev.${parsed.dev}`;
  if (parsed.post !== null) semver += `+post.${parsed.post}`;
  return semver;
}

/** The PEP 440 form of a release's SemVer, for the `versions` of a project page; null when it has none. */
export function pep440OfSemver(semver: string): string | null {
  return clean(semver.replace(/\+post\.(\d+)$/, '.post$1'));
}

/** True for any valid PEP 440 version, in any of its spellings. */
export function isPep440(version: string): boolean {
  return explain(version) !== null;
}

/** A PEP 440 version in normal form, or null. */
export function normalizeVersion(version: string): string | null {
  return explain(version) ? clean(version) : null;
}

/** True for a PEP 440 version specifier set such as `>=3.8, <4` (Requires-Python). */
export function isSpecifierSet(value: string): boolean {
  return value.length <= 1000 && Boolean(validRange(value));
}
