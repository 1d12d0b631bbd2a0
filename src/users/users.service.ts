import { hash } from '@node-rs/argon2';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { isStaff } from '../auth/bearer.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, Errors } from '../common/errors.js';
import { assertKeyFree, deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { User } from '../database/entities/user.entity.js';
import { EventsService } from '../events/events.service.js';
import type { CreateUserAttributes, UpdateUserAttributes } from './dto/user-attributes.js';

const emailTaken = () => Errors.unprocessable('EMAIL_TAKEN', 'email is already taken', attributePointer('email'));

@Injectable()
export class UsersService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  /** Staff see every user of the account; a customer sees only themselves (SPEC §4). */
  private visibleUsers(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<User> {
    const qb = manager.getRepository(User).createQueryBuilder('u').where('u.account_id = :account', { account: ctx.account.id });
    if (!isStaff(ctx.bearer)) {
      qb.andWhere('u.id = :self', { self: ctx.bearer.kind === 'user' ? ctx.bearer.user.id : null });
    }
    return qb;
  }

  list(ctx: RequestContext, query: ListQuery): Promise<[User[], number]> {
    return paged(this.visibleUsers(ctx), 'u', query).getManyAndCount();
  }

  /** By id or email (SPEC §1.1); 404 when absent or not visible. */
  async find(ctx: RequestContext, idOrEmail: string, manager?: EntityManager): Promise<User> {
    const qb = forWrite(this.visibleUsers(ctx, manager), manager, 'u');
    if (isUuid(idOrEmail)) qb.andWhere('u.id = :id', { id: idOrEmail });
    else qb.andWhere('lower(u.email) = lower(:email)', { email: idOrEmail });
    const user = await qb.getOne();
    if (!user) throw Errors.notFound('user');
    return user;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreateUserAttributes>): Promise<User> {
    const { email, name, password, role } = body.attributes;
    const passwordHash = password ? await hash(password) : null;
    return writeUnique(
      this.db,
      async (manager) => {
        await this.assertEmailFree(manager, ctx, email);
        const user = await manager.getRepository(User).save({
          accountId: ctx.account.id,
          email,
          name: name ?? null,
          role: role ?? 'user',
          passwordHash,
        });
        await this.events.record(manager, ctx, 'user.created', { type: 'users', id: user.id });
        return user;
      },
      { users_account_email_key: emailTaken },
    );
  }

  async update(ctx: RequestContext, idOrEmail: string, body: ResourceBody<UpdateUserAttributes>): Promise<User> {
    const { email, name, password, role } = body.attributes;
    const passwordHash = password ? await hash(password) : undefined;
    return writeUnique(
      this.db,
      async (manager) => {
        const admins = await this.lockAdmins(manager, ctx);
        const user = await this.find(ctx, idOrEmail, manager);
        assertSameId(body, user.id);
        if (email !== undefined && email.toLowerCase() !== user.email.toLowerCase()) {
          await this.assertEmailFree(manager, ctx, email);
        }
        if (email !== undefined) user.email = email;
        if (body.sent.has('name')) user.name = name ?? null;
        if (role !== undefined && role !== 'admin' && user.role === 'admin') assertOtherAdmin(admins, user.id, 'ROLE_LAST_ADMIN');
        if (role !== undefined && role !== user.role) {
          // A user token acts with the user's current role; its kind says the same.
          await manager.query('UPDATE tokens SET kind = $1 WHERE user_id = $2', [role, user.id]);
          user.role = role;
        }
        if (passwordHash !== undefined) user.passwordHash = passwordHash;
        await manager.getRepository(User).save(user);
        await this.events.record(manager, ctx, 'user.updated', { type: 'users', id: user.id }, { changed: [...body.sent] });
        return user;
      },
      { users_account_email_key: emailTaken },
    );
  }

  async remove(ctx: RequestContext, idOrEmail: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const admins = await this.lockAdmins(manager, ctx);
      const user = await this.find(ctx, idOrEmail, manager);
      if (user.role === 'admin') assertOtherAdmin(admins, user.id, 'USER_LAST_ADMIN');
      await deleteFound(manager, User, user.id, ctx.account.id, 'user');
      await this.events.record(manager, ctx, 'user.deleted', { type: 'users', id: user.id });
    });
  }

  /**
   * Locks the account's admins (ids in a stable order) before any user row: every user write
   * takes these locks first, so two admins demoting or deleting each other wait for one another
   * instead of deadlocking, and the admin count cannot change under the write.
   */
  private async lockAdmins(manager: EntityManager, ctx: RequestContext): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(`SELECT id FROM users WHERE account_id = $1 AND role = 'admin' ORDER BY id FOR UPDATE`, [
      ctx.account.id,
    ]);
    return rows.map((row) => row.id);
  }

  private assertEmailFree(manager: EntityManager, ctx: RequestContext, email: string): Promise<void> {
    return assertKeyFree(manager, User, 'email', ctx.account.id, email, emailTaken);
  }
}

/** An account keeps at least one admin: nobody else could manage its users. Counts the admins other than this user. */
function assertOtherAdmin(admins: string[], userId: string, code: string): void {
  if (!admins.some((id) => id !== userId)) {
    throw Errors.unprocessable(code, 'the account must keep at least one admin', code === 'ROLE_LAST_ADMIN' ? attributePointer('role') : undefined);
  }
}
