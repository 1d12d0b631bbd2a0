import type { License } from '../database/entities/license.entity.js';
import type { Policy } from '../database/entities/policy.entity.js';

/** Why a license may not be used, with the code the API answers (SPEC §1.5, §4). */
export interface LicenseDenial {
  code: 'LICENSE_SUSPENDED' | 'LICENSE_EXPIRED' | 'LICENSE_NOT_ALLOWED';
  detail: string;
}

export function isExpired(license: License, now = new Date()): boolean {
  return license.expiry !== null && license.expiry.getTime() <= now.getTime();
}

/**
 * The one license check every rule reuses: a suspended license grants nothing, and an expired
 * one under REVOKE_ACCESS grants nothing either. `scheme` adds the policy's authentication
 * strategy, for when the license itself is the bearer.
 */
export function licenseDenial(license: License, policy: Policy, scheme?: 'key' | 'token', now = new Date()): LicenseDenial | null {
  if (scheme === 'key' && !['LICENSE', 'MIXED'].includes(policy.authenticationStrategy)) {
    return { code: 'LICENSE_NOT_ALLOWED', detail: 'The policy does not allow authentication with the license key' };
  }
  if (scheme === 'token' && !['TOKEN', 'MIXED'].includes(policy.authenticationStrategy)) {
    return { code: 'LICENSE_NOT_ALLOWED', detail: 'The policy does not allow authentication with a license token' };
  }
  if (license.suspended) return { code: 'LICENSE_SUSPENDED', detail: 'The license is suspended' };
  if (policy.expirationStrategy === 'REVOKE_ACCESS' && isExpired(license, now)) {
    return { code: 'LICENSE_EXPIRED', detail: 'The license has expired and its policy revokes access' };
  }
  return null;
}

/**
 * The latest release date (backdated, else created) a license may read, or null for no limit
 * (SPEC §4): RESTRICT_ACCESS and MAINTAIN_ACCESS stop at the expiry, ALLOW_ACCESS never does.
 */
export function licenseWindowEnd(license: License, policy: Policy): Date | null {
  if (license.expiry === null || policy.expirationStrategy === 'ALLOW_ACCESS') return null;
  return license.expiry;
}

export type LicenseStatus = 'ACTIVE' | 'EXPIRING' | 'EXPIRED' | 'SUSPENDED';

const EXPIRING_WINDOW_MS = 3 * 24 * 3600 * 1000;

export function licenseStatus(license: License, now = new Date()): LicenseStatus {
  if (license.suspended) return 'SUSPENDED';
  if (license.expiry === null) return 'ACTIVE';
  const left = license.expiry.getTime() - now.getTime();
  if (left <= 0) return 'EXPIRED';
  return left <= EXPIRING_WINDOW_MS ? 'EXPIRING' : 'ACTIVE';
}
