import { Injectable } from '@nestjs/common';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { isAdmin, isStaff } from '../auth/bearer.js';
import type { RequestContext } from '../auth/decorators.js';
import { generateToken, tokenDigest } from '../auth/secrets.js';
import { attributePointer, Errors } from '../common/errors.js';
import { deleteFound } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import type { ResourceBody } from '../common/resource-body.js';
import { Token, type TokenKind } from '../database/entities/token.entity.js';
import { EventsService } from '../events/events.service.js';
import type { CreateTokenAttributes } from './dto/token-attributes.js';

export interface IssuedToken {
  token: Token;
  raw: string;
}

function parseExpiry(given: string | null | undefined): Date | null {
  if (given === null || given === undefined) return null;
  const expiry = new Date(given);
  if (Number.isNaN(expiry.getTime()) || expiry.getTime() <= Date.now()) {
    throw Errors.unprocessable('EXPIRY_INVALID', 'expiry must be a timestamp in the future', attributePointer('expiry'));
  }
  return expiry;
}

/** Tokens made with email:password expire after 14 days unless told otherwise (SPEC §2). */
const PASSWORD_TOKEN_LIFETIME_MS = 14 * 24 * 3600 * 1000;

@Injectable()
export class TokensService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  /** A bearer sees the tokens it is the bearer of; admins see every token of the account. */
  private visibleTokens(ctx: RequestContext): SelectQueryBuilder<Token> {
    const qb = this.db.getRepository(Token).createQueryBuilder('t').where('t.account_id = :account', { account: ctx.account.id });
    const { bearer } = ctx;
    if (isAdmin(bearer)) return qb;
    switch (bearer.kind) {
      case 'user':
        return qb.andWhere('t.user_id = :owner', { owner: bearer.user.id });
      case 'product':
        return qb.andWhere('t.product_id = :owner', { owner: bearer.product.id });
      case 'license':
        return qb.andWhere('t.license_id = :owner', { owner: bearer.license.id });
      case 'anonymous':
        return qb.andWhere('false');
    }
  }

  list(ctx: RequestContext, query: ListQuery): Promise<[Token[], number]> {
    return paged(this.visibleTokens(ctx), 't', query).getManyAndCount();
  }

  async find(ctx: RequestContext, id: string): Promise<Token> {
    const token = isUuid(id) ? await this.visibleTokens(ctx).andWhere('t.id = :id', { id }).getOne() : null;
    if (!token) throw Errors.notFound('token');
    return token;
  }

  /**
   * A user token of the bearer's own role: for any user authenticated by email:password, or
   * for staff using one of their tokens (SPEC §3.6).
   */
  async create(ctx: RequestContext, body: ResourceBody<CreateTokenAttributes>): Promise<IssuedToken> {
    const { bearer } = ctx;
    if (bearer.kind !== 'user') throw Errors.forbidden('Only users create tokens here; products and licenses get theirs from an admin');
    const byPassword = bearer.token === null;
    if (!byPassword && !isStaff(bearer)) {
      throw Errors.forbidden('Customers create tokens with their email and password');
    }
    const defaultExpiry = byPassword ? new Date(Date.now() + PASSWORD_TOKEN_LIFETIME_MS) : null;
    return this.issue(ctx, { kind: bearer.role, userId: bearer.user.id }, body, defaultExpiry);
  }

  /** Issues a token for a user, product or license; the raw value is returned once. */
  async issue(
    ctx: RequestContext,
    owner: { kind: TokenKind; userId?: string; productId?: string; licenseId?: string },
    body: ResourceBody<CreateTokenAttributes>,
    defaultExpiry: Date | null = null,
  ): Promise<IssuedToken> {
    const expiry = body.sent.has('expiry') ? parseExpiry(body.attributes.expiry) : defaultExpiry;
    const raw = generateToken(owner.kind);
    const token = await this.db.transaction(async (manager) => {
      const saved = await manager.getRepository(Token).save({
        accountId: ctx.account.id,
        kind: owner.kind,
        name: body.attributes.name ?? null,
        digest: tokenDigest(raw),
        expiry,
        userId: owner.userId ?? null,
        productId: owner.productId ?? null,
        licenseId: owner.licenseId ?? null,
      });
      await this.events.record(manager, ctx, 'token.created', { type: 'tokens', id: saved.id });
      return saved;
    });
    return { token, raw };
  }

  /**
   * Revocation deletes the digest (moving the `auth` serial), so the token fails on every
   * instance on the next request sent after this answer.
   */
  async revoke(ctx: RequestContext, id: string): Promise<void> {
    const token = await this.find(ctx, id);
    await this.db.transaction(async (manager) => {
      await deleteFound(manager, Token, token.id, ctx.account.id, 'token');
      await this.events.record(manager, ctx, 'token.revoked', { type: 'tokens', id: token.id });
    });
  }

}
