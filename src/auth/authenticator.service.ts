import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors.js';
import type { Account } from '../database/entities/account.entity.js';
import { Token } from '../database/entities/token.entity.js';
import { User } from '../database/entities/user.entity.js';
import type { Bearer } from './bearer.js';
import type { Credentials } from './credentials.js';
import { tokenDigest } from './secrets.js';

const unauthorized = (code: string, detail: string) => new DomainError(401, code, detail);

/** Turns credentials into a bearer of the account, or fails as SPEC §1.5's table says. */
@Injectable()
export class Authenticator {
  constructor(private readonly db: DataSource) {}

  async authenticate(account: Account, credentials: Credentials): Promise<Bearer> {
    switch (credentials.scheme) {
      case 'token':
        return this.byToken(account, credentials.token);
      case 'license-key':
        throw unauthorized('LICENSE_INVALID', 'The license key is not valid');
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
    if (!token || token.accountId !== account.id) {
      throw unauthorized('TOKEN_INVALID', 'The token is not valid');
    }
    if (token.expiry && token.expiry.getTime() <= Date.now()) {
      throw unauthorized('TOKEN_EXPIRED', 'The token has expired');
    }
    if (token.userId) {
      const user = await this.db.getRepository(User).findOneBy({ id: token.userId, accountId: account.id });
      if (user) return { kind: 'user', user, role: user.role, token };
    }
    throw unauthorized('TOKEN_INVALID', 'The token is not valid');
  }
}
