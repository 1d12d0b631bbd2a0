import semver from 'semver';
import { DomainError } from '../common/errors.js';
import { parseVersion, versionSortKey } from '../releases/version.js';
import { parseConstraint, type VersionConstraint } from './upgrade-constraint.js';

/** What the SQL of upgrade-queries.ts tests, evaluated on one version. */
function allows(constraint: VersionConstraint, version: string): boolean {
  const parsed = parseVersion(version)!;
  const key = versionSortKey(parsed);
  const startsWith = (value: string[] | null, identifiers: string) => {
    const joined = value?.join('.');
    return joined !== undefined && (joined === identifiers || joined.startsWith(`${identifiers}.`));
  };
  if (constraint.prerelease !== undefined && !startsWith(parsed.prerelease, constraint.prerelease)) return false;
  if (constraint.build !== undefined && !startsWith(parsed.build, constraint.build)) return false;
  return constraint.ranges.some((r) => (r.from === undefined || key >= r.from) && (r.to === undefined || key < r.to));
}

const VERSIONS = [
  '0.0.1', '0.0.2-0', '0.0.2', '0.1.0', '0.9.9', '1.0.0-0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-beta.2',
  '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.0+1', '1.0.0+build.5', '1.0.1', '1.1.0-beta.1', '1.1.0', '1.2.0-0', '1.2.0-rc.1',
  '1.2.0', '1.2.2', '1.2.3-beta.1', '1.2.3', '1.2.3+p1', '1.2.4', '1.2.10', '1.3.0-alpha.1', '1.3.0', '1.5.0', '1.10.0',
  '1.99.99', '2.0.0-0', '2.0.0-beta.1', '2.0.0', '2.0.1', '2.10.0', '3.0.0-rc.1', '3.0.0', '10.0.0', '1.0.0-x.7.z.92', '1.0.0+foo.bar',
];

const matching = (constraint: string) => VERSIONS.filter((v) => allows(parseConstraint(constraint), v));

describe('Keygen constraints without an operator (SPEC §5)', () => {
  it.each([
    ['1', (v: string) => v.startsWith('1.')],
    ['1.0', (v: string) => v.startsWith('1.')],
    ['1.2', (v: string) => semver.major(v) === 1 && semver.minor(v) >= 2],
    ['1.2.3', (v: string) => semver.major(v) === 1 && semver.minor(v) === 2 && semver.patch(v) >= 3],
    ['0', (v: string) => v.startsWith('0.')],
    ['10', (v: string) => v.startsWith('10.')],
  ])('%s compares only the numbers it names, pre-releases included', (constraint, expected) => {
    expect(matching(constraint)).toEqual(VERSIONS.filter(expected));
  });

  it('1-beta means major 1 with pre-release identifiers beginning with beta', () => {
    expect(matching('1-beta')).toEqual(['1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.1.0-beta.1', '1.2.3-beta.1']);
    expect(matching('1-beta.2')).toEqual(['1.0.0-beta.2']);
  });

  it('1+foo (sent as 1%2Bfoo) means major 1 with build metadata beginning with foo', () => {
    expect(matching('1+foo')).toEqual(['1.0.0+foo.bar']);
    expect(matching('1.2+p1')).toEqual(['1.2.3+p1']);
  });
});

describe('npm-style ranges through semver, pre-releases admitted by the channel set', () => {
  const ranges = [
    '^1.2', '~1.2.3', '>=1.0.0 <3', '1.x', '*', '^0.0.1', '<=1.2', '=1.2.3', '>1.2', '1.2.3 || >=3', '>=1.0.0-beta.2 <1.0.0',
    '>1.0.0', '<1.0.0', '<=1.0.0', '>=1.0.0', '1.2.3 - 2', '~1', '^2.0.0-beta.1', '>2 <1', '<0.0.0', 'x', '>=0.9.9 <1.0.0-rc.1 || 2.x',
  ];
  it.each(ranges)('%s selects exactly what semver.satisfies selects with includePrerelease', (range) => {
    expect(matching(range)).toEqual(VERSIONS.filter((v) => semver.satisfies(v, range, { includePrerelease: true })));
  });

  it('build metadata does not separate versions in a range, as in semver', () => {
    expect(matching('=1.0.0')).toEqual(['1.0.0', '1.0.0+1', '1.0.0+build.5', '1.0.0+foo.bar']);
    expect(matching('>1.0.0')).not.toContain('1.0.0+1');
  });

  it('a range that matches nothing is valid and selects nothing', () => {
    expect(parseConstraint('>2 <1').ranges).toEqual([]);
    expect(matching('>2 <1')).toEqual([]);
  });
});

describe('unparseable constraints', () => {
  it.each(['', 'latest', '1.2.3.4', 'v', '01', '1.02', '>=abc', '^', '1-', '1+', '1.2.3-beta..1', '99999999999999999', 'x'.repeat(257), Array(17).fill('1.0.0').join(' || ')])(
    '%j → 400 CONSTRAINT_INVALID on the constraint parameter',
    (raw) => {
      let error: unknown;
      try {
        parseConstraint(raw);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ status: 400, code: 'CONSTRAINT_INVALID', source: { parameter: 'constraint' } });
    },
  );
});
