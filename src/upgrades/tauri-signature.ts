/** The most a signature may be: the artifact attribute's limit (SPEC §3.5), also for `.sig` files. */
export const MAX_SIGNATURE_BYTES = 4096;

/**
 * The `signature` a Tauri updater can use (SPEC §6.2): trimmed of surrounding whitespace, and a
 * raw minisign signature (the text of a `.minisig`) encoded as the Tauri CLI writes `.sig` files:
 * base64 of the text (LF line ends) with one trailing newline. Null when nothing is left.
 */
export function updaterSignature(stored: string): string | null {
  const trimmed = stored.trim().replace(/\r\n/g, '\n');
  if (trimmed === '') return null;
  if (trimmed.startsWith('untrusted comment:')) return Buffer.from(`${trimmed}\n`, 'utf8').toString('base64');
  return trimmed;
}
