import { channelOf, parseVersion, versionSortKey } from './version.js';

const key = (version: string) => {
  const parsed = parseVersion(version);
  if (!parsed) throw new Error(`invalid ${version}`);
  return versionSortKey(parsed);
};

describe('parseVersion (SPEC §3.4)', () => {
  it.each(['1.0.0', '0.0.0', '10.20.30', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0-x-y-z.--', '1.0.0+20130313144700', '1.0.0-beta+exp.sha.5114f85', '1.0.0+21AF26D3----117B344092BD', '2.0.0-rc.1+build.123'])(
    'accepts %s',
    (version) => expect(parseVersion(version)).not.toBeNull(),
  );

  it.each(['v1.0.0', '1.0', '1', '1.0.0.0', '01.0.0', '1.02.0', '1.0.00', '1.0.0-', '1.0.0+', '1.0.0-01', '1.0.0-alpha..1', '1.0.0-alpha_1', ' 1.0.0', '1.0.0 ', '', '99999999999999999999.0.0', '1.0.0+build+again'])(
    'refuses %j',
    (version) => expect(parseVersion(version)).toBeNull(),
  );

  it('splits the parts', () => {
    expect(parseVersion('2.0.0-beta.3+exp.1')).toEqual({ major: 2, minor: 0, patch: 0, prerelease: ['beta', '3'], build: ['exp', '1'] });
  });

  it.each([
    ['1.0.0', 'stable'],
    ['1.0.0+build', 'stable'],
    ['2.0.0-beta.3', 'beta'],
    ['2.0.0-rc.1', 'rc'],
    ['2.0.0-alpha', 'alpha'],
    ['2.0.0-dev.20260101', 'dev'],
    ['2.0.0-beta3', 'beta3'],
    ['2.0.0-1', '1'],
  ])('%s is on channel %s', (version, channel) => {
    expect(channelOf(parseVersion(version)!)).toBe(channel);
  });
});

describe('version order', () => {
  // semver.org §11's example, then build metadata and number widths.
  const ordered = [
    '0.0.1',
    '0.9.0',
    '0.10.0',
    '1.0.0-0',
    '1.0.0-1',
    '1.0.0-2',
    '1.0.0-10',
    '1.0.0-a',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.1.1',
    '1.0.0-alpha.beta',
    '1.0.0-alpha-b',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-beta.11+build',
    '1.0.0-rc.1',
    '1.0.0-rc.1+1',
    '1.0.0-rc.1+2',
    '1.0.0',
    '1.0.0+0',
    '1.0.0+1',
    '1.0.0+1.0',
    '1.0.0+1.1',
    '1.0.0+2',
    '1.0.0+10',
    '1.0.0+a',
    '1.0.0+b',
    '1.0.1',
    '1.2.0',
    '1.10.0',
    '2.0.0-alpha',
    '2.0.0',
    '10.0.0',
    '100.0.0',
    '9007199254740991.0.0',
  ];

  it('sorts a long list of tricky versions exactly', () => {
    const shuffled = [...ordered].sort(() => Math.random() - 0.5);
    const sorted = shuffled.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    expect(sorted).toEqual(ordered);
  });

  it.each([
    ['1.0.0-rc.1', '1.0.0'],
    ['1.0.0-alpha', '1.0.0-alpha.1'],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta'],
    ['1.0.0-beta.2', '1.0.0-beta.11'],
    ['1.0.0', '1.0.0+1'],
    ['1.0.0+1', '1.0.0+2'],
    ['1.0.0+2', '1.0.0+10'],
    ['1.9.9', '1.10.0'],
  ])('%s < %s', (a, b) => {
    expect(key(a) < key(b)).toBe(true);
  });

  it('uses only characters PostgreSQL text can store, ordered bytewise', () => {
    for (const version of ordered) expect(key(version)).not.toContain('\u0000');
  });
});
