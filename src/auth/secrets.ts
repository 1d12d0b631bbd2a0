import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import type { TokenKind } from '../database/entities/token.entity.js';

const PREFIXES: Record<TokenKind, string> = {
  admin: 'admin_',
  developer: 'dev_',
  'read-only': 'ro_',
  user: 'user_',
  product: 'prod_',
  license: 'lic_',
};

/** A new raw token: a readable prefix by kind and 256 random bits (SPEC §1.5). */
export function generateToken(kind: TokenKind): string {
  return PREFIXES[kind] + randomBytes(32).toString('base64url');
}

/** The kind a raw token's prefix claims, before any lookup (the rate limiter's budget, SPEC §8.4). */
export function claimedTokenKind(raw: string): TokenKind | null {
  const entry = Object.entries(PREFIXES).find(([, prefix]) => raw.startsWith(prefix));
  return entry ? (entry[0] as TokenKind) : null;
}

/**
 * Tokens are stored as their sha256 only: they carry 256 random bits, so no salt or slow
 * hash is needed, and rotating the server secret does not log everyone out.
 */
export function tokenDigest(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
}

/** License keys may be chosen by people, so they are stored as an HMAC keyed by the server secret. */
export function keyDigest(secret: string, key: string): string {
  return createHmac('sha256', hmacKey(secret)).update(key, 'utf8').digest('hex');
}

/** The secret as a key object, made once (the server has one secret): HMAC over a string makes one per call. */
let secretKey: { secret: string; key: KeyObject } | null = null;
function hmacKey(secret: string): KeyObject {
  if (secretKey?.secret !== secret) secretKey = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return secretKey.key;
}

export const SECRET_KEY = Symbol('SECRET_KEY');

/** A new license key: 160 random bits as five dash-separated groups of 8 hex digits. */
export function generateLicenseKey(): string {
  return (randomBytes(20).toString('hex').toUpperCase().match(/.{8}/g) ?? []).join('-');
}
