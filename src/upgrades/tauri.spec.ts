import { platformFamily, updaterFormats } from './tauri-formats.js';
import { updaterSignature } from './tauri-signature.js';

describe('the platform family read from an opaque platform string (SPEC §6.2)', () => {
  it.each([
    ['darwin', 'darwin'],
    ['Darwin', 'darwin'],
    ['darwin-universal', 'darwin'],
    ['aarch64-apple-darwin', 'darwin'],
    ['linux', 'linux'],
    ['x86_64-unknown-linux-gnu', 'linux'],
    ['riscv64gc-unknown-linux-musl', 'linux'],
    ['windows', 'windows'],
    ['WINDOWS-x86_64', 'windows'],
    ['x86_64-pc-windows-msvc', 'windows'],
    ['android', 'other'],
    ['freebsd', 'other'],
    ['mylinuxbox', 'other'],
  ])('%s → %s', (platform, family) => {
    expect(platformFamily(platform)).toBe(family);
  });
});

describe('updater formats per family and bundle_type, best first', () => {
  it.each([
    ['darwin', undefined, ['.app.tar.gz', '.tar.gz']],
    ['linux', undefined, ['.appimage.tar.gz', '.appimage']],
    ['windows', undefined, ['.nsis.zip', '.msi.zip', '.exe', '.msi']],
    ['android', undefined, ['.zip', '.gz', '.appimage', '.exe', '.msi']],
    ['linux', 'deb', ['.deb']],
    ['linux', 'rpm', ['.rpm']],
    ['linux', 'appimage', ['.appimage.tar.gz', '.appimage']],
    ['windows', 'nsis', ['.nsis.zip', '.exe']],
    ['windows', 'MSI', ['.msi.zip', '.msi']],
    ['darwin', 'app', ['.app.tar.gz', '.tar.gz']],
    ['linux', 'unknown', ['.appimage.tar.gz', '.appimage']],
  ])('%s with bundle_type %s → %j', (platform, bundleType, formats) => {
    expect(updaterFormats(platform, bundleType)).toEqual(formats);
  });

  it('never offers a signature file or a disk image', () => {
    for (const platform of ['darwin', 'linux', 'windows', 'other']) {
      for (const bundle of [undefined, 'app', 'deb', 'rpm', 'appimage', 'nsis', 'msi', 'dmg']) {
        expect(updaterFormats(platform, bundle).some((f) => f.endsWith('.sig') || f.endsWith('.dmg'))).toBe(false);
      }
    }
  });
});

describe('the signature sent to the updater', () => {
  const minisign = [
    'untrusted comment: signature from tauri secret key',
    'RUSoiVOVHnheP/jKTHRCi8ZDEEHLjJu/K7htx+IbrrhpW1lItmYuDiD5JjK2XiGtzWG7gf/CreBOBtSESBgEhdHKnQfYBhvPLww=',
    'trusted comment: timestamp:1796137371\tfile:app.tar.gz',
    'Rtmyb3y6nDaXOoAske2rB8BkX6adNprsFPK2OCJS0iiQse/WIMdbJdi3JWisyPydXkReF3UL68jezwNVEq+XBg==',
  ].join('\n');
  const cliLine = Buffer.from(`${minisign}\n`).toString('base64');

  it('keeps a base64 line as the Tauri CLI writes it, trimmed', () => {
    expect(updaterSignature(cliLine)).toBe(cliLine);
    expect(updaterSignature(`  ${cliLine}\r\n`)).toBe(cliLine);
  });

  it('encodes a raw minisign text exactly as the Tauri CLI would have', () => {
    expect(updaterSignature(`${minisign}\n`)).toBe(cliLine);
    expect(updaterSignature(`\n${minisign.replace(/\n/g, '\r\n')}\r\n\r\n`)).toBe(cliLine);
  });

  it('gives nothing for a blank signature', () => {
    expect(updaterSignature('')).toBeNull();
    expect(updaterSignature(' \n\t ')).toBeNull();
  });
});
