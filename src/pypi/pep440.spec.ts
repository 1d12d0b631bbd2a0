import { DomainError } from '../common/errors.js';
import { parseDistribution } from './distribution.js';
import { negotiatePage } from './negotiation.js';
import { pep440OfSemver, semverOfPep440 } from './pep440.js';

describe('PEP 440 → SemVer (SPEC §6.1)', () => {
  it.each([
    ['1', '1.0.0'],
    ['1.2', '1.2.0'],
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['01.02', '1.2.0'],
    ['1.0a1', '1.0.0-alpha.1'],
    ['1.0alpha', '1.0.0-alpha.0'],
    ['1.0b2', '1.0.0-beta.2'],
    ['1.0rc3', '1.0.0-rc.3'],
    ['1.0c3', '1.0.0-rc.3'],
    ['1.0.dev4', '1.0.0-dev.4'],
    ['1.0-dev', '1.0.0-dev.0'],
    ['1.0.post5', '1.0.0+post.5'],
    ['1.0-1', '1.0.0+post.1'],
    ['1.0rc1.post2', '1.0.0-rc.1+post.2'],
  ])('%s → %s', (pep440, semver) => {
    expect(semverOfPep440(pep440)).toBe(semver);
    expect(semverOfPep440(pep440OfSemver(semver)!)).toBe(semver);
  });

  it.each([
    ['1!1.0', /epochs/],
    ['1.0+local.1', /local versions/],
    ['1.2.3.4', /more than three/],
    ['1.0a1.dev1', /\.devN combined/],
    ['1.0.post1.dev1', /\.devN combined/],
    ['99999999999999999999.0', /too large/],
    ['one', /not a valid PEP 440/],
    ['', /not a valid PEP 440/],
  ])('refuses %s with a reason', (pep440, reason) => {
    expect(() => semverOfPep440(pep440)).toThrow(reason);
    expect(() => semverOfPep440(pep440)).toThrow(DomainError);
  });
});

describe('distribution filenames', () => {
  it.each([
    ['demo_pkg-1.0-py3-none-any.whl', 'wheel', 'demo_pkg', '1.0', undefined],
    ['demo_pkg-1.0-1build-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'wheel', 'demo_pkg', '1.0', undefined],
    ['demo_pkg-1.0.tar.gz', 'sdist', 'demo_pkg', '1.0', undefined],
    ['feas-hello-0.1.0.tar.gz', 'sdist', 'feas-hello', '0.1.0', undefined],
    ['feas-hello-1.0-1.tar.gz', 'sdist', 'feas-hello', '1.0-1', 'feas.hello'],
    ['demo-1.0-1.tar.gz', 'sdist', 'demo', '1.0-1', undefined],
    ['demo-2.0-rc1.tar.gz', 'sdist', 'demo', '2.0-rc1', undefined],
    ['feas-hello-1.0-post2.tar.gz', 'sdist', 'feas-hello', '1.0-post2', undefined],
    ['Demo.Pkg-2.0.zip', 'sdist', 'Demo.Pkg', '2.0', undefined],
  ])('%s', (filename, kind, name, version, project) => {
    expect(parseDistribution(filename, project)).toMatchObject({ kind, name, version });
  });

  it.each(['demo.exe', 'demo-1.0-py3.whl', 'demo.tar.gz', '../demo-1.0.tar.gz', 'a/b-1.0.tar.gz', 'demo\u0000-1.0.tar.gz', '-1.0.tar.gz', 'demo-1.0-x-py3-none-any.whl'])('refuses %s', (filename) => {
    expect(() => parseDistribution(filename)).toThrow(DomainError);
  });
});

describe('simple page negotiation (PEP 691)', () => {
  const json = 'application/vnd.pypi.simple.v1+json';
  it.each([
    [undefined, undefined, 'text/html'],
    ['', undefined, 'text/html'],
    ['*/*', undefined, 'text/html'],
    ['application/json', undefined, 'text/html'],
    [`${json}, application/vnd.pypi.simple.v1+html;q=0.1, text/html;q=0.01`, undefined, json],
    ['text/html;q=0.9, application/vnd.pypi.simple.latest+json', undefined, json],
    ['text/*', undefined, 'text/html'],
    ['text/html', json, json],
  ])('Accept %s, format %s → %s', (accept, format, type) => {
    expect(negotiatePage(accept, format)).toBe(type);
  });

  it('refuses a format that names nothing it serves', () => {
    expect(() => negotiatePage(undefined, 'application/json')).toThrow(DomainError);
    expect(() => negotiatePage(undefined, ['a', 'b'])).toThrow(DomainError);
  });
});
