import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { SECRET_KEY } from '../auth/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DomainError } from '../common/errors.js';

export type UrlPurpose = 'upload' | 'download';

/** What to do about an expired URL: the request that gave it gives a new one. */
const EXPIRED: Record<UrlPurpose, string> = {
  upload:
    'The upload URL has expired: create the artifact again (POST /artifacts with the same release and filename) to get a new upload URL for it',
  download: 'The download URL has expired: request the artifact again (GET /artifacts/{id}) to get a new download URL',
};

/**
 * Signed, expiring URLs for artifact bytes (SPEC §3.5). They carry no bearer credential, only
 * an HMAC over purpose, account, artifact and expiry, so they work after a cross-host redirect.
 */
@Injectable()
export class SignedUrls {
  constructor(
    @Inject(SECRET_KEY) private readonly secret: string,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The absolute base of URLs the server emits: PUBLIC_URL, else the request's own host. A
   * request without a usable Host (HTTP/1.0 may send none; Node refuses HTTP/1.1 without one)
   * gets the address it reached the server on, never `undefined` or whatever a header carried.
   */
  origin(req: Request): string {
    return this.config.publicUrl ?? `${req.protocol}://${requestHost(req)}`;
  }

  sign(req: Request, purpose: UrlPurpose, accountId: string, artifactId: string, filename?: string): string {
    const expires = Math.floor(Date.now() / 1000) + this.config.signedUrlTtlSeconds;
    const signature = this.signature(purpose, accountId, artifactId, expires);
    const path =
      purpose === 'upload'
        ? `/storage/uploads/${accountId}/${artifactId}`
        : `/storage/downloads/${accountId}/${artifactId}/${encodeURIComponent((filename ?? 'download').split('/').pop()!)}`;
    return `${this.origin(req)}${path}?expires=${expires}&signature=${signature}`;
  }

  /** 403 for a missing, tampered or expired signature. */
  verify(purpose: UrlPurpose, accountId: string, artifactId: string, query: Record<string, unknown>): void {
    const { expires, signature } = query;
    const denied = (detail: string) => new DomainError(403, 'SIGNATURE_INVALID', detail);
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) {
      throw denied('The URL is not signed');
    }
    const expected = Buffer.from(this.signature(purpose, accountId, artifactId, Number(expires)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw denied('The URL signature is not valid');
    if (Number(expires) * 1000 < Date.now()) throw denied(EXPIRED[purpose]);
  }

  private signature(purpose: UrlPurpose, accountId: string, artifactId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`keyshelf-url-v1\n${purpose}\n${accountId}\n${artifactId}\n${expires}`).digest('hex');
  }
}

/**
 * A host and port as RFC 9110 §7.2 has them (a name, IPv4, or an IPv6 literal in brackets);
 * `_` is let through, as container networks name services with it.
 */
const HOST = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

function requestHost(req: Request): string {
  const host = req.get('host');
  if (host && HOST.test(host)) return host;
  const { localAddress, localPort } = req.socket;
  const address = localAddress?.replace(/^::ffff:(?=\d+\.)/, '') ?? '127.0.0.1';
  return `${address.includes(':') ? `[${address}]` : address}:${localPort}`;
}
