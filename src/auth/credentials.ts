/** What the Authorization header carries, before anything is looked up (SPEC §1.5). */
export type Credentials =
  | { scheme: 'none' }
  | { scheme: 'token'; token: string }
  | { scheme: 'license-key'; key: string }
  | { scheme: 'password'; email: string; password: string }
  | { scheme: 'malformed'; reason: string };

function decodeBasic(encoded: string): { user: string; pass: string } | null {
  if (!/^[A-Za-z0-9+/]+=*$/.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { user: decoded, pass: '' } : { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/** Resolution order: Bearer, then Basic (by user part), then License. */
export function parseCredentials(header: string | undefined): Credentials {
  if (header === undefined || header.trim() === '') return { scheme: 'none' };
  const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(header);
  if (!match) return { scheme: 'malformed', reason: 'the Authorization header is malformed' };
  const scheme = match[1].toLowerCase();
  const value = match[2];
  if (scheme === 'bearer') return { scheme: 'token', token: value };
  if (scheme === 'license') return { scheme: 'license-key', key: value };
  if (scheme !== 'basic') return { scheme: 'malformed', reason: `the ${match[1]} authorization scheme is not supported` };

  const basic = decodeBasic(value);
  if (!basic) return { scheme: 'malformed', reason: 'the Basic credentials are not valid base64' };
  const { user, pass } = basic;
  if (user === 'license') return { scheme: 'license-key', key: pass };
  if (user === 'token' || user === '__token__') return { scheme: 'token', token: pass };
  if (pass === '') return user === '' ? { scheme: 'malformed', reason: 'the Basic credentials are empty' } : { scheme: 'token', token: user };
  if (user.includes('@')) return { scheme: 'password', email: user, password: pass };
  return { scheme: 'token', token: pass };
}
