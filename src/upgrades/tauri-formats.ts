/**
 * Which files a Tauri updater can install (SPEC §6.2), as filename suffixes in order of
 * preference. Tauri v1 bundles (`.app.tar.gz`, `.AppImage.tar.gz`, `.nsis.zip`, `.msi.zip`) come
 * before the uncompressed files Tauri v2 signs (`.AppImage`, `.exe`, `.msi`), as Keygen orders
 * them, so an app still on v1 never gets a file it cannot unpack. Never a `.sig` or a `.dmg`.
 */

export type PlatformFamily = 'darwin' | 'linux' | 'windows' | 'other';

const FAMILY_FORMATS: Record<PlatformFamily, string[]> = {
  darwin: ['.app.tar.gz', '.tar.gz'],
  linux: ['.appimage.tar.gz', '.appimage'],
  windows: ['.nsis.zip', '.msi.zip', '.exe', '.msi'],
  // A platform the updater does not name (the app set its own target): archives first.
  other: ['.zip', '.gz', '.appimage', '.exe', '.msi'],
};

/** `{{bundle_type}}` of recent v2 clients: the installer the running app came from. */
const BUNDLE_FORMATS: Record<string, string[]> = {
  appimage: ['.appimage.tar.gz', '.appimage'],
  deb: ['.deb'],
  rpm: ['.rpm'],
  nsis: ['.nsis.zip', '.exe'],
  msi: ['.msi.zip', '.msi'],
};

/** The family named by `platform`: `darwin…` or `…-apple-darwin`, `linux…` or `…-linux-…`, `windows…` or `…-windows-…`. */
export function platformFamily(platform: string): PlatformFamily {
  const p = platform.toLowerCase();
  if (p.startsWith('darwin') || p.endsWith('-apple-darwin')) return 'darwin';
  if (p.startsWith('linux') || p.includes('-linux-') || p.endsWith('-linux')) return 'linux';
  if (p.startsWith('windows') || p.includes('-windows-') || p.endsWith('-windows')) return 'windows';
  return 'other';
}

/**
 * The suffixes to offer, best first (lowercase). A `bundle_type` naming an installer restricts
 * the choice to that installer's files; `app`, `unknown` (what clients send when they cannot
 * tell) or anything else leaves the family's list.
 */
export function updaterFormats(platform: string, bundleType: string | undefined): string[] {
  const restricted = bundleType === undefined ? undefined : BUNDLE_FORMATS[bundleType.toLowerCase()];
  return restricted ?? FAMILY_FORMATS[platformFamily(platform)];
}
