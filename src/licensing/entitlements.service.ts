import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { LicensingRules, scopeVisibleEntitlements } from '../auth/access/licensing.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, Errors } from '../common/errors.js';
import { assertKeyFree, deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { Entitlement } from '../database/entities/entitlement.entity.js';
import { EventsService } from '../events/events.service.js';
import type { CreateEntitlementAttributes, UpdateEntitlementAttributes } from './dto/licensing-attributes.js';

const codeTaken = () => Errors.unprocessable('CODE_TAKEN', 'code is already taken', attributePointer('code'));

@Injectable()
export class EntitlementsService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  visibleEntitlements(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<Entitlement> {
    const qb = manager.getRepository(Entitlement).createQueryBuilder('e').where('e.account_id = :account', { account: ctx.account.id });
    return scopeVisibleEntitlements(qb, 'e', ctx.bearer);
  }

  list(ctx: RequestContext, query: ListQuery): Promise<[Entitlement[], number]> {
    return paged(this.visibleEntitlements(ctx), 'e', query).getManyAndCount();
  }

  async find(ctx: RequestContext, idOrCode: string, manager?: EntityManager): Promise<Entitlement> {
    const qb = forWrite(this.visibleEntitlements(ctx, manager), manager, 'e');
    if (isUuid(idOrCode)) qb.andWhere('e.id = :id', { id: idOrCode });
    else qb.andWhere('lower(e.code) = lower(:code)', { code: idOrCode });
    const entitlement = await qb.getOne();
    if (!entitlement) throw Errors.notFound('entitlement');
    return entitlement;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreateEntitlementAttributes>): Promise<Entitlement> {
    LicensingRules.assertWriteEntitlements(ctx.bearer);
    const { name, code, metadata } = body.attributes;
    return this.write(async (manager) => {
      await this.assertCodeFree(manager, ctx, code);
      const entitlement = await manager.getRepository(Entitlement).save({ accountId: ctx.account.id, name, code, metadata: metadata ?? {} });
      await this.events.record(manager, ctx, 'entitlement.created', { type: 'entitlements', id: entitlement.id });
      return entitlement;
    });
  }

  async update(ctx: RequestContext, idOrCode: string, body: ResourceBody<UpdateEntitlementAttributes>): Promise<Entitlement> {
    return this.write(async (manager) => {
      const entitlement = await this.find(ctx, idOrCode, manager);
      LicensingRules.assertWriteEntitlements(ctx.bearer);
      assertSameId(body, entitlement.id);
      const { name, code, metadata } = body.attributes;
      if (code !== undefined && code.toLowerCase() !== entitlement.code.toLowerCase()) await this.assertCodeFree(manager, ctx, code);
      if (name !== undefined) entitlement.name = name;
      if (code !== undefined) entitlement.code = code;
      if (metadata !== undefined) entitlement.metadata = metadata;
      await manager.getRepository(Entitlement).save(entitlement);
      await this.events.record(manager, ctx, 'entitlement.updated', { type: 'entitlements', id: entitlement.id });
      return entitlement;
    });
  }

  async remove(ctx: RequestContext, idOrCode: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const entitlement = await this.find(ctx, idOrCode, manager);
      LicensingRules.assertWriteEntitlements(ctx.bearer);
      await deleteFound(manager, Entitlement, entitlement.id, ctx.account.id, 'entitlement');
      await this.events.record(manager, ctx, 'entitlement.deleted', { type: 'entitlements', id: entitlement.id });
    });
  }

  private write(work: (manager: EntityManager) => Promise<Entitlement>): Promise<Entitlement> {
    return writeUnique(this.db, work, { entitlements_account_code_key: codeTaken });
  }

  private assertCodeFree(manager: EntityManager, ctx: RequestContext, code: string): Promise<void> {
    return assertKeyFree(manager, Entitlement, 'code', ctx.account.id, code, codeTaken);
  }
}
