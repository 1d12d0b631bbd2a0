import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { LicensingRules, scopeVisiblePolicies } from '../auth/access/licensing.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Errors, relationshipPointer } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import type { Entitlement } from '../database/entities/entitlement.entity.js';
import { Policy } from '../database/entities/policy.entity.js';
import { EventsService } from '../events/events.service.js';
import { ProductsService } from '../products/products.service.js';
import type { CreatePolicyAttributes, UpdatePolicyAttributes } from './dto/licensing-attributes.js';
import { EntitlementLinks, entitlementTaken, POLICY_LINKS } from './entitlement-links.js';
import { deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { EntitlementsService } from './entitlements.service.js';

export const POLICY_FILTERS = ['product'] as const;

@Injectable()
export class PoliciesService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly products: ProductsService,
    private readonly entitlements: EntitlementsService,
    private readonly links: EntitlementLinks,
  ) {}

  visiblePolicies(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<Policy> {
    const qb = manager.getRepository(Policy).createQueryBuilder('pol').where('pol.account_id = :account', { account: ctx.account.id });
    return scopeVisiblePolicies(qb, 'pol', ctx.bearer);
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<[Policy[], number]> {
    const qb = this.visiblePolicies(ctx);
    const productRef = singleFilter(query, 'product');
    if (productRef !== undefined) {
      const product = await this.products.findVisible(ctx, productRef);
      if (!product) return [[], 0];
      qb.andWhere('pol.product_id = :product', { product: product.id });
    }
    return paged(qb, 'pol', query).getManyAndCount();
  }

  async findVisible(ctx: RequestContext, id: string, manager?: EntityManager): Promise<Policy | null> {
    return isUuid(id) ? forWrite(this.visiblePolicies(ctx, manager), manager, 'pol').andWhere('pol.id = :id', { id }).getOne() : null;
  }

  async find(ctx: RequestContext, id: string, manager?: EntityManager): Promise<Policy> {
    const policy = await this.findVisible(ctx, id, manager);
    if (!policy) throw Errors.notFound('policy');
    return policy;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreatePolicyAttributes>): Promise<Policy> {
    const product = await this.products.findVisible(ctx, body.relationships.product!);
    if (!product) throw Errors.unprocessable('PRODUCT_NOT_FOUND', 'product does not exist', relationshipPointer('product'));
    LicensingRules.assertManage(ctx.bearer, product.id, "manage this product's policies");
    const { name, duration, expirationStrategy, authenticationStrategy, metadata } = body.attributes;
    return this.db.transaction(async (manager) => {
      const policy = await manager.getRepository(Policy).save({
        accountId: ctx.account.id,
        productId: product.id,
        name,
        duration: duration ?? null,
        expirationStrategy: expirationStrategy ?? 'RESTRICT_ACCESS',
        authenticationStrategy: authenticationStrategy ?? 'MIXED',
        metadata: metadata ?? {},
      });
      await this.events.record(manager, ctx, 'policy.created', { type: 'policies', id: policy.id });
      return policy;
    });
  }

  async update(ctx: RequestContext, id: string, body: ResourceBody<UpdatePolicyAttributes>): Promise<Policy> {
    return this.db.transaction(async (manager) => {
      const policy = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, policy.productId, 'change this policy');
      assertSameId(body, policy.id);
      const { name, duration, expirationStrategy, authenticationStrategy, metadata } = body.attributes;
      if (name !== undefined) policy.name = name;
      if (body.sent.has('duration')) policy.duration = duration ?? null;
      if (expirationStrategy !== undefined) policy.expirationStrategy = expirationStrategy;
      if (authenticationStrategy !== undefined) policy.authenticationStrategy = authenticationStrategy;
      if (metadata !== undefined) policy.metadata = metadata;
      await manager.getRepository(Policy).save(policy);
      await this.events.record(manager, ctx, 'policy.updated', { type: 'policies', id: policy.id }, { changed: [...body.sent] });
      return policy;
    });
  }

  /** Deleting a policy deletes its licenses, as in Keygen. */
  async remove(ctx: RequestContext, id: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const policy = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, policy.productId, 'delete this policy');
      await deleteFound(manager, Policy, policy.id, ctx.account.id, 'policy');
      await this.events.record(manager, ctx, 'policy.deleted', { type: 'policies', id: policy.id });
    });
  }

  async listEntitlements(ctx: RequestContext, id: string, query: ListQuery): Promise<[Entitlement[], number]> {
    const policy = await this.find(ctx, id);
    const qb = this.entitlements
      .visibleEntitlements(ctx)
      .andWhere('e.id IN (SELECT pe.entitlement_id FROM policy_entitlements pe WHERE pe.policy_id = :policy)', { policy: policy.id });
    return paged(qb, 'e', query).getManyAndCount();
  }

  async attach(ctx: RequestContext, id: string, refs: string[]): Promise<Entitlement[]> {
    return writeUnique(this.db, async (manager) => {
      const policy = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, policy.productId, "change this policy's entitlements");
      const attached = await this.links.attach(manager, ctx, POLICY_LINKS, policy.id, refs);
      await this.events.record(manager, ctx, 'policy.entitlements.attached', { type: 'policies', id: policy.id }, { entitlements: attached.map((e) => e.id) });
      return attached;
    }, { policy_entitlements_pkey: entitlementTaken });
  }

  async detach(ctx: RequestContext, id: string, refs: string[]): Promise<void> {
    await this.db.transaction(async (manager) => {
      const policy = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, policy.productId, "change this policy's entitlements");
      await this.links.detach(manager, ctx, POLICY_LINKS, policy.id, refs);
      await this.events.record(manager, ctx, 'policy.entitlements.detached', { type: 'policies', id: policy.id }, { entitlements: refs });
    });
  }
}
