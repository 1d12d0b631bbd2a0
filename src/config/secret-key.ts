import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The server secret (HMAC of license keys, signed URLs). Taken from SECRET_KEY, or generated
 * into the data directory on first start. Creation is atomic: the key is written to a unique
 * temporary file and hard-linked into place, so of several instances sharing DATA_DIR exactly
 * one wins and the others read the winner's key (SPEC §9).
 */
export async function resolveSecretKey(configured: string | null, dataDir: string): Promise<string> {
  if (configured) return configured;
  const path = join(dataDir, 'secret-key');
  const existing = await readKey(path);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, randomBytes(48).toString('base64url') + '\n', { mode: 0o600 });
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  const key = await readKey(path);
  if (!key) throw new Error(`the secret key file ${path} is empty`);
  return key;
}

async function readKey(path: string): Promise<string | null> {
  try {
    const key = (await readFile(path, 'utf8')).trim();
    return key === '' ? null : key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
