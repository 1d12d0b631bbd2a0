import { DomainError } from '../common/errors.js';
import { filePath, packagePath, productParameter, versionPath } from './generic-path.js';

/** What a refusal says: the code and the parameter it names. */
function refusal(check: () => unknown): { code: string; source: unknown } {
  try {
    check();
  } catch (error) {
    if (error instanceof DomainError && error.status === 400) return { code: error.code, source: error.source };
    throw error;
  }
  throw new Error('expected a 400');
}

const file = (pkg: string, version: string, filename: string) => ({ package: pkg, version, filename });

describe('generic registry paths (SPEC §6.3), checked after URL decoding', () => {
  it.each([
    file('tool', '1.0.0', 'tool.bin'),
    file('A.b-C_9', '1.0.0-rc.1+build.5', 'tool_1.0+linux-x86_64.tar.gz'),
    file('x'.repeat(255), '0.0.0', 'y'.repeat(255)),
    file('.hidden', '1.0.0-dev.20260101', '...'),
  ])('accepts %j', (params) => expect(filePath(params)).toEqual(params));

  it.each([
    ['package', file('a/b', '1.0.0', 'f')],
    ['package', file('a\\b', '1.0.0', 'f')],
    ['package', file('..', '1.0.0', 'f')],
    ['package', file('.', '1.0.0', 'f')],
    ['package', file('', '1.0.0', 'f')],
    ['package', file(' tool', '1.0.0', 'f')],
    ['package', file('tool ', '1.0.0', 'f')],
    ['package', file('a\u0000b', '1.0.0', 'f')],
    ['package', file('a+b', '1.0.0', 'f')],
    ['package', file('x'.repeat(256), '1.0.0', 'f')],
    ['package', file('3F1C2A9E-1B2C-4D5E-8F90-A1B2C3D4E5F6', '1.0.0', 'f')],
    ['version', file('tool', '1.0', 'f')],
    ['version', file('tool', 'v1.0.0', 'f')],
    ['version', file('tool', '..', 'f')],
    ['version', file('tool', '1.0.0/..', 'f')],
    ['version', file('tool', ' 1.0.0', 'f')],
    ['version', file('tool', '1.0.0-preview', 'f')],
    ['filename', file('tool', '1.0.0', 'a/b')],
    ['filename', file('tool', '1.0.0', '..')],
    ['filename', file('tool', '1.0.0', '.')],
    ['filename', file('tool', '1.0.0', 'a\\b')],
    ['filename', file('tool', '1.0.0', 'f\u0000')],
    ['filename', file('tool', '1.0.0', 'f ')],
    ['filename', file('tool', '1.0.0', 'é.bin')],
    ['filename', file('tool', '1.0.0', 'x'.repeat(256))],
  ])('refuses a bad %s in %j, naming it', (parameter, params) => {
    expect(refusal(() => filePath(params)).source).toEqual({ parameter });
  });

  it('uses <PARAMETER>_INVALID codes and VERSION_CHANNEL_INVALID for a pre-release without a channel', () => {
    expect(refusal(() => packagePath({ package: '..' })).code).toBe('PACKAGE_INVALID');
    expect(refusal(() => versionPath({ package: 'p', version: 'latest' })).code).toBe('VERSION_INVALID');
    expect(refusal(() => versionPath({ package: 'p', version: '1.0.0-preview.1' })).code).toBe('VERSION_CHANNEL_INVALID');
    expect(refusal(() => filePath(file('p', '1.0.0', '..'))).code).toBe('FILENAME_INVALID');
  });

  it('takes no query parameters but ?product= on a PUT', () => {
    expect(productParameter({ product: 'app' })).toBe('app');
    expect(productParameter({})).toBeUndefined();
    expect(refusal(() => productParameter({ product: ['a', 'b'] })).source).toEqual({ parameter: 'product' });
    expect(refusal(() => productParameter({ release: '1' })).code).toBe('PARAMETER_UNPERMITTED');
    expect(refusal(() => filePath(file('p', '1.0.0', 'f'), { download: '1' })).source).toEqual({ parameter: 'download' });
  });
});
