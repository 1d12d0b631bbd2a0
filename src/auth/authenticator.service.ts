import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors.js';
import type { Account } from '../database/entities/account.entity.js';
import { License } from '../database/entities/license.entity.js';
import { Policy } from '../database/entities/policy.entity.js';
import { Product } from '../database/entities/product.entity.js';
import { Token } from '../database/entities/token.entity.js';
import { User } from '../database/entities/user.entity.js';
import type { Bearer } from './bearer.js';
import type { Credentials } from './credentials.js';
import { licenseDenial } from './license-check.js';
import { keyDigest, SECRET_KEY, tokenDigest } from './secrets.js';
import { SerialCache, type ChangeSerials } from '../database/change-serials.js';

const unauthorized = (code: string, detail: string) => new DomainError(401, code, detail);
const invalidToken = () => unauthorized('TOKEN_INVALID', 'The token is not valid');
const invalidKey = () => unauthorized('LICENSE_INVALID', 'The license key is not valid');

/**
 * Turns credentials into a bearer of the account, or fails as SPEC §1.5's table says.
 *
 * Installed software sends the same key or token with every poll, so what a credential resolves
 * to (the token, its user, product or license, the license's policy) is kept in process, under
 * the account's `auth` change serial read with the account for the request: any write that
 * could change the answer (a revoked token, a suspended, changed or deleted license, a policy's
 * strategies, a user's role) moves the serial in its own transaction, and every instance
 * resolves again on the next request sent after the write's answer. Only successes are kept,
 * and the checks that depend on the clock (token and license expiry) run on every request.
 */
@Injectable()
export class Authenticator {
  private readonly resolved = new SerialCache<{ bearer: Exclude<Bearer, { kind: 'anonymous' }> }>(10_000);
  private readonly digests = new LRUCache<string, string>({ max: 10_000 });

  constructor(
    private readonly db: DataSource,
    @Inject(SECRET_KEY) private readonly secret: string,
  ) {}

  async authenticate(account: Account, credentials: Credentials, serials?: ChangeSerials): Promise<Bearer> {
    switch (credentials.scheme) {
      case 'token':
      case 'license-key': {
        const byToken = credentials.scheme === 'token';
        const raw = byToken ? credentials.token : credentials.key;
        if (raw === '' || raw.length > (byToken ? 512 : 1024)) throw byToken ? invalidToken() : invalidKey();
        const digest = this.digestOf(credentials.scheme, raw);
        const key = `${account.id}|${credentials.scheme}|${digest}`;
        const serial = serials ? String(serials.auth) : null;
        let bearer = serial === null ? undefined : this.resolved.get(key, serial)?.bearer;
        if (!bearer) {
          bearer = byToken ? await this.byToken(account, digest) : await this.byLicenseKey(account, digest);
          if (serial !== null) this.resolved.set(key, serial, { bearer });
        }
        return checkedNow(bearer);
      }
      case 'malformed':
        throw unauthorized('TOKEN_INVALID', credentials.reason);
      case 'password':
        throw unauthorized('TOKEN_INVALID', 'Email and password are accepted only by POST /tokens; send a token');
      case 'none':
        return { kind: 'anonymous' };
    }
  }

  /**
   * The stored digest of a raw token or key. Installed software sends the same one on every poll:
   * computed once per credential (an HMAC costs a key object and a hash object on every call), and
   * kept in process only, bounded, like the bearer it resolves to.
   */
  private digestOf(scheme: 'token' | 'license-key', raw: string): string {
    const key = `${scheme}|${raw}`;
    let digest = this.digests.get(key);
    if (digest === undefined) {
      digest = scheme === 'token' ? tokenDigest(raw) : keyDigest(this.secret, raw);
      this.digests.set(key, digest);
    }
    return digest;
  }

  private async byToken(account: Account, digest: string): Promise<Exclude<Bearer, { kind: 'anonymous' }>> {
    const token = await this.db.getRepository(Token).findOneBy({ digest });
    // A token of another account is indistinguishable from an unknown one.
    if (!token || token.accountId !== account.id) throw invalidToken();
    if (token.userId) {
      const user = await this.db.getRepository(User).findOneBy({ id: token.userId, accountId: account.id });
      if (user) return { kind: 'user', user, role: user.role, token };
    }
    if (token.productId) {
      const product = await this.db.getRepository(Product).findOneBy({ id: token.productId, accountId: account.id });
      if (product) return { kind: 'product', product, token };
    }
    if (token.licenseId) {
      const license = await this.db.getRepository(License).findOneBy({ id: token.licenseId, accountId: account.id });
      if (license) return this.licenseBearer(license, token);
    }
    throw invalidToken();
  }

  private async byLicenseKey(account: Account, digest: string): Promise<Exclude<Bearer, { kind: 'anonymous' }>> {
    const license = await this.db.getRepository(License).findOneBy({ accountId: account.id, keyDigest: digest });
    if (!license) throw invalidKey();
    return this.licenseBearer(license, null);
  }

  private async licenseBearer(license: License, token: Token | null): Promise<Exclude<Bearer, { kind: 'anonymous' }>> {
    const policy = await this.db.getRepository(Policy).findOneByOrFail({ id: license.policyId, accountId: license.accountId });
    return { kind: 'license', license, policy, token };
  }
}

/** The checks that depend on the clock or on the scheme, run on every request, cached or not. */
function checkedNow(bearer: Exclude<Bearer, { kind: 'anonymous' }>, now = new Date()): Bearer {
  const token = bearer.token;
  if (token?.expiry && token.expiry.getTime() <= now.getTime()) throw unauthorized('TOKEN_EXPIRED', 'The token has expired');
  if (bearer.kind === 'license') {
    const denial = licenseDenial(bearer.license, bearer.policy, token ? 'token' : 'key', now);
    if (denial) throw new DomainError(403, denial.code, denial.detail);
  }
  return bearer;
}
