import semver from 'semver';
import { DomainError } from '../common/errors.js';
import { numbersPrefix, parseVersion, precedenceBounds } from '../releases/version.js';

/** A half-open range of sort keys: `from` ≤ key < `to`; a missing end is unbounded. */
export interface SortKeyRange {
  from?: string;
  to?: string;
}

/**
 * A `constraint` (SPEC §5) as conditions on stored columns: the release's sort key lies in one
 * of `ranges` (none at all: nothing matches), and its pre-release / build identifiers start with
 * the given ones.
 */
export interface VersionConstraint {
  ranges: SortKeyRange[];
  prerelease?: string;
  build?: string;
}

const MAX_LENGTH = 256;
/** A range is a union of comparator sets; each becomes one OR branch of the query. */
const MAX_SETS = 16;

const NUMBER = '0|[1-9]\\d{0,15}';
const IDENTIFIERS = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
/** Keygen's form: numbers without an operator, then optionally `-pre` and `+build`. */
const KEYGEN_FORM = new RegExp(`^(${NUMBER})(?:\\.(${NUMBER})(?:\\.(${NUMBER}))?)?(?:-(${IDENTIFIERS}))?(?:\\+(${IDENTIFIERS}))?$`);

const invalid = (detail: string) => new DomainError(400, 'CONSTRAINT_INVALID', detail, { parameter: 'constraint' });

/**
 * Parses a constraint: Keygen's operator-less form (`1`, `1.2`, `1.2.3`, `1-beta`, `1+foo`) or an
 * npm-style range (`^1.2`, `~1.2.3`, `>=1.0.0 <3`, `1.x`, `a || b`). Anything else is a 400.
 */
export function parseConstraint(raw: string): VersionConstraint {
  if (raw.length === 0 || raw.length > MAX_LENGTH) throw invalid(`constraint must be 1 to ${MAX_LENGTH} characters`);
  const keygen = KEYGEN_FORM.exec(raw);
  return keygen ? keygenConstraint(keygen) : rangeConstraint(raw);
}

/**
 * It compares only the numbers it names: `1` and `1.0` → major 1; `1.2` → major 1, minor ≥ 2;
 * `1.2.3` → 1.2.x with patch ≥ 3. A sort key starts with the zero-padded numbers joined by `.`,
 * so each case is a key range that ends where the next major (or minor) begins (`/` follows `.`).
 */
function keygenConstraint(match: RegExpExecArray): VersionConstraint {
  const [major, minor, patch] = [match[1], match[2], match[3]].map((part) => (part === undefined ? undefined : Number(part)));
  if (![major, minor, patch].every((n) => n === undefined || Number.isSafeInteger(n))) throw invalid('constraint numbers are too large');
  const end = minor === undefined || patch === undefined ? numbersPrefix([major!]) : numbersPrefix([major!, minor]);
  const start = minor === undefined ? `${numbersPrefix([major!])}.` : patch === undefined ? `${numbersPrefix([major!, minor])}.` : numbersPrefix([major!, minor, patch]);
  return {
    ranges: [{ from: start, to: `${end}/` }],
    ...(match[4] ? { prerelease: match[4] } : {}),
    ...(match[5] ? { build: match[5] } : {}),
  };
}

/**
 * An npm range through the `semver` library, read with `includePrerelease`: the channel set is
 * what admits pre-releases here (docs/decisions.md). Each comparator set is an intersection of
 * bounds on the version, and a version's precedence class is a sort-key range, so each set
 * becomes one sort-key range; the range is their union.
 */
function rangeConstraint(raw: string): VersionConstraint {
  let range: semver.Range;
  try {
    range = new semver.Range(raw, { includePrerelease: true });
  } catch {
    throw invalid('constraint must be a version such as 1, 1.2 or 1.2.3, or a semver range such as ^1.2, ~1.2.3 or >=1.0.0 <3');
  }
  if (range.set.length > MAX_SETS) throw invalid(`constraint may join at most ${MAX_SETS} ranges with ||`);
  const ranges: SortKeyRange[] = [];
  for (const comparators of range.set) {
    const bounds = comparators.reduce<SortKeyRange | null>((acc, comparator) => (acc ? intersect(acc, comparatorRange(comparator)) : null), {});
    if (bounds) ranges.push(bounds);
  }
  return { ranges };
}

function comparatorRange(comparator: semver.Comparator): SortKeyRange {
  if (comparator.value === '') return {}; // `*`: any version
  const parsed = parseVersion(comparator.semver.version);
  if (!parsed) throw invalid('constraint names a version that cannot be ordered');
  const { from, to } = precedenceBounds(parsed);
  switch (comparator.operator) {
    case '>=':
      return { from };
    case '>':
      return { from: to };
    case '<':
      return { to: from };
    case '<=':
      return { to };
    default:
      return { from, to };
  }
}

/** Both ranges at once, or null when they do not overlap. */
function intersect(a: SortKeyRange, b: SortKeyRange): SortKeyRange | null {
  const from = a.from === undefined ? b.from : b.from === undefined ? a.from : a.from > b.from ? a.from : b.from;
  const to = a.to === undefined ? b.to : b.to === undefined ? a.to : a.to < b.to ? a.to : b.to;
  if (from !== undefined && to !== undefined && from >= to) return null;
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

