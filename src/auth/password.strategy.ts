import { Injectable } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { verify } from '@node-rs/argon2';
import type { Request } from 'express';
import { BasicStrategy } from 'passport-http';
import { DataSource } from 'typeorm';
import { DomainError } from '../common/errors.js';
import { stateOf } from '../common/request-context.js';
import { User } from '../database/entities/user.entity.js';
import type { UserBearer } from './bearer.js';

// Verified against when the email is unknown, so both failures take the same time.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$x3akk7cr98CbWx+8d8h20g$bkz7gdQVfD+Y85GiftrN4ei/VacCrKO9HQyzDiwK0Oc';

/**
 * Basic email:password for POST /tokens (SPEC §3.6), through passport-http. The credentials
 * are taken as the auth guard parsed them: passport-http splits on every colon, which would
 * cut a password containing one.
 */
@Injectable()
export class PasswordStrategy extends PassportStrategy(BasicStrategy, 'password') {
  constructor(private readonly db: DataSource) {
    super({ passReqToCallback: true });
  }

  async validate(req: Request): Promise<UserBearer | false> {
    const state = stateOf(req);
    const login = state.passwordLogin;
    if (!state.account || !login) return false;
    const user = await this.db
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.account_id = :account AND lower(u.email) = lower(:email)', { account: state.account.id, email: login.email })
      .getOne();
    const ok = await verify(user?.passwordHash ?? DUMMY_HASH, login.password).catch(() => false);
    if (!user || !user.passwordHash || !ok) return false;
    const bearer: UserBearer = { kind: 'user', user, role: user.role, token: null };
    state.bearer = bearer;
    return bearer;
  }
}

/** Runs the password strategy only when the request carried email:password. */
@Injectable()
export class PasswordLoginGuard extends AuthGuard('password') {
  override async canActivate(context: import('@nestjs/common').ExecutionContext): Promise<boolean> {
    const state = stateOf(context.switchToHttp().getRequest<Request>());
    if (!state.passwordLogin) return true;
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<T>(error: unknown, user: T): T {
    if (error) throw error;
    if (!user) throw new DomainError(401, 'CREDENTIALS_INVALID', 'The email or password is not valid');
    return user;
  }
}
