import { Inject, Injectable } from '@nestjs/common';
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

const unauthorized = (code: string, detail: string) => new DomainError(401, code, detail);
const invalidToken = () => unauthorized('TOKEN_INVALID', 'The token is not valid');

/** Turns credentials into a bearer of the account, or fails as SPEC §1.5's table says. */
@Injectable()
export class Authenticator {
  constructor(
    private readonly db: DataSource,
    @Inject(SECRET_KEY) private readonly secret: string,
  ) {}

  async authenticate(account: Account, credentials: Credentials): Promise<Bearer> {
    switch (credentials.scheme) {
      case 'token':
        return this.byToken(account, credentials.token);
      case 'license-key':
        return this.byLicenseKey(account, credentials.key);
      case 'malformed':
        throw unauthorized('TOKEN_INVALID', credentials.reason);
      case 'password':
        throw unauthorized('TOKEN_INVALID', 'Email and password are accepted only by POST /tokens; send a token');
      case 'none':
        return { kind: 'anonymous' };
    }
  }

  private async byToken(account: Account, raw: string): Promise<Bearer> {
    const token = raw.length <= 512 ? await this.db.getRepository(Token).findOneBy({ digest: tokenDigest(raw) }) : null;
    // A token of another account is indistinguishable from an unknown one.
    if (!token || token.accountId !== account.id) throw invalidToken();
    if (token.expiry && token.expiry.getTime() <= Date.now()) {
      throw unauthorized('TOKEN_EXPIRED', 'The token has expired');
    }
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
      if (license) return this.licenseBearer(license, 'token', token);
    }
    throw invalidToken();
  }

  private async byLicenseKey(account: Account, key: string): Promise<Bearer> {
    const license =
      key !== '' && key.length <= 1024
        ? await this.db.getRepository(License).findOneBy({ accountId: account.id, keyDigest: keyDigest(this.secret, key) })
        : null;
    if (!license) throw unauthorized('LICENSE_INVALID', 'The license key is not valid');
    return this.licenseBearer(license, 'key', null);
  }

  private async licenseBearer(license: License, scheme: 'key' | 'token', token: Token | null): Promise<Bearer> {
    const policy = await this.db.getRepository(Policy).findOneByOrFail({ id: license.policyId, accountId: license.accountId });
    const denial = licenseDenial(license, policy, scheme);
    if (denial) throw new DomainError(403, denial.code, denial.detail);
    return { kind: 'license', license, policy, token };
  }
}
