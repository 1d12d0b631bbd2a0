import { contentDisposition, extendedValue } from '../storage/blob-store.js';
import { checkFilename, extensionOf, resolveFiletype } from './artifact-rules.js';

describe('the artifact filename rule (SPEC §3.5, docs/security.md)', () => {
  it.each([
    ['a right-to-left override', 'invoice\u202Efdp.exe'],
    ['a left-to-right embedding', 'a\u202Ab.bin'],
    ['a right-to-left isolate', 'a\u2067b.bin'],
    ['a left-to-right mark', 'a\u200Eb.bin'],
    ['an Arabic letter mark', 'a\u061Cb.bin'],
    ['a zero-width space', 'app\u200B.zip'],
    ['a zero-width joiner', 'app\u200D.zip'],
    ['a zero-width non-joiner', 'app\u200C.zip'],
    ['a word joiner', 'app\u2060.zip'],
    ['a byte order mark', '\uFEFFapp.zip'],
    ['a soft hyphen', 'app\u00AD.zip'],
    ['a line separator', 'app\u2028.zip'],
    ['a paragraph separator', 'app\u2029.zip'],
    ['a C0 control', 'app\u0007.zip'],
    ['a C1 control', 'a\u0085b.bin'],
    ['a backslash', 'dir\\app.zip'],
    ['an empty segment', 'dir//app.zip'],
    ['a dot segment', 'dir/./app.zip'],
    ['a parent segment', '../app.zip'],
    ['nothing', ''],
    ['256 characters', 'a'.repeat(256)],
  ])('refuses %s', (_, filename) => {
    expect(() => checkFilename(filename)).toThrow(expect.objectContaining({ status: 422, code: 'FILENAME_INVALID' }));
  });

  it.each(['app-1.0.0.tar.gz', 'dir/sub/app.zip', 'café.zip', '日本語.txt', 'emoji-😀.bin', 'a b.txt', 'a'.repeat(255)])('accepts %j', (filename) => {
    expect(checkFilename(filename)).toBe(filename.normalize('NFC'));
  });

  it('stores NFC: an NFD name and its NFC twin are one filename', () => {
    const nfd = 'cafe\u0301.zip';
    const nfc = 'caf\u00E9.zip';
    expect(nfd).not.toBe(nfc);
    expect(checkFilename(nfd)).toBe(nfc);
    expect(checkFilename(nfc)).toBe(nfc);
  });
});

describe('filetypes (SPEC §3.5)', () => {
  it.each([
    ['app.ZIP', 'zip'],
    ['app.tar.gz', 'gz'],
    ['dir.d/app', null],
    ['.bashrc', null],
    ['app.', null],
    ['trail.bin ', null],
    ['app.b i n', null],
    ['app.bin.', null],
    ['app.ünï', null],
    [`app.${'x'.repeat(33)}`, null],
    [`app.${'x'.repeat(32)}`, 'x'.repeat(32)],
    ['app.msi_zip', 'msi_zip'],
  ])('the filetype derived from %j is %j, and satisfies the filetype rule', (filename, filetype) => {
    expect(extensionOf(filename)).toBe(filetype);
    const derived = resolveFiletype(filename, undefined);
    expect(derived).toBe(filetype);
    // Whatever is derived is accepted when given: one rule for both.
    if (derived !== null) expect(resolveFiletype(filename, derived)).toBe(derived);
  });

  it('a given filetype must satisfy the rule and match a real extension', () => {
    expect(() => resolveFiletype('app.zip', 'Zip')).toThrow(expect.objectContaining({ code: 'FILETYPE_INVALID' }));
    expect(() => resolveFiletype('app.zip', 'tar')).toThrow(expect.objectContaining({ code: 'FILETYPE_INVALID' }));
    expect(resolveFiletype('trail.bin ', 'bin')).toBe('bin');
  });
});

describe('Content-Disposition (RFC 6266, RFC 8187)', () => {
  it('encodes every byte outside attr-char, including those encodeURIComponent leaves alone', () => {
    expect(extendedValue("a*b'c(d)e.zip")).toBe('a%2Ab%27c%28d%29e.zip');
    expect(extendedValue('a b;c,d"e%f.zip')).toBe('a%20b%3Bc%2Cd%22e%25f.zip');
    expect(extendedValue("!#$&+-.^_`|~AZaz09")).toBe("!#$&+-.^_`|~AZaz09");
    expect(extendedValue('café.zip')).toBe('caf%C3%A9.zip');
    expect(extendedValue('😀')).toBe('%F0%9F%98%80');
  });

  it('every value it emits parses as RFC 8187 value-chars and decodes back to the name', () => {
    for (const name of ["it's (final) *.zip", 'naïve résumé.pdf', '100% done.txt', 'a\tb']) {
      const value = extendedValue(name);
      expect(value).toMatch(/^(?:%[0-9A-F]{2}|[A-Za-z0-9!#$&+\-.^_`|~])*$/);
      expect(decodeURIComponent(value)).toBe(name);
    }
  });

  it('names the last segment, with an ASCII fallback free of quotes, backslashes and percent signs', () => {
    expect(contentDisposition('dir/naïve "100%".zip')).toBe(
      `attachment; filename="na_ve _100__.zip"; filename*=UTF-8''na%C3%AFve%20%22100%25%22.zip`,
    );
  });
});
