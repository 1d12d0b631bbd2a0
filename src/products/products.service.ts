import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { ProductRules, scopeVisibleProducts } from '../auth/access/catalog.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, Errors } from '../common/errors.js';
import { assertKeyFree, deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { Product } from '../database/entities/product.entity.js';
import { EventsService } from '../events/events.service.js';
import { TokensService, type IssuedToken } from '../tokens/tokens.service.js';
import type { CreateTokenAttributes } from '../tokens/dto/token-attributes.js';
import type { CreateProductAttributes, UpdateProductAttributes } from './dto/product-attributes.js';

const codeTaken = () => Errors.unprocessable('CODE_TAKEN', 'code is already taken', attributePointer('code'));

@Injectable()
export class ProductsService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly tokens: TokensService,
  ) {}

  visibleProducts(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<Product> {
    const qb = manager.getRepository(Product).createQueryBuilder('p').where('p.account_id = :account', { account: ctx.account.id });
    return scopeVisibleProducts(qb, 'p', ctx.bearer);
  }

  list(ctx: RequestContext, query: ListQuery): Promise<[Product[], number]> {
    return paged(this.visibleProducts(ctx), 'p', query).getManyAndCount();
  }

  /** By id or code; null when absent or not visible to the bearer. */
  findVisible(ctx: RequestContext, idOrCode: string, manager?: EntityManager): Promise<Product | null> {
    const qb = forWrite(this.visibleProducts(ctx, manager), manager, 'p');
    if (isUuid(idOrCode)) qb.andWhere('p.id = :id', { id: idOrCode });
    else qb.andWhere('lower(p.code) = lower(:code)', { code: idOrCode });
    return qb.getOne();
  }

  /**
   * The id of a product whatever the bearer may see: engines that must tell a hidden record
   * (401/403) from an unknown one (404) need it (SPEC §6.1). Never answered to the client as a record.
   */
  async idOf(ctx: RequestContext, idOrCode: string): Promise<string | null> {
    const qb = this.db.getRepository(Product).createQueryBuilder('p').select('p.id', 'id').where('p.account_id = :account', { account: ctx.account.id });
    if (isUuid(idOrCode)) qb.andWhere('p.id = :id', { id: idOrCode });
    else qb.andWhere('lower(p.code) = lower(:code)', { code: idOrCode });
    const row = await qb.getRawOne<{ id: string }>();
    return row?.id ?? null;
  }

  async find(ctx: RequestContext, idOrCode: string, manager?: EntityManager): Promise<Product> {
    const product = await this.findVisible(ctx, idOrCode, manager);
    if (!product) throw Errors.notFound('product');
    return product;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreateProductAttributes>): Promise<Product> {
    ProductRules.assertCreate(ctx.bearer);
    const { name, code, distributionStrategy, url, metadata } = body.attributes;
    return this.write(async (manager) => {
      if (code) await this.assertCodeFree(manager, ctx, code);
      const product = await manager.getRepository(Product).save({
        accountId: ctx.account.id,
        name,
        code: code ?? null,
        distributionStrategy: distributionStrategy ?? 'LICENSED',
        url: url ?? null,
        metadata: metadata ?? {},
      });
      await this.events.record(manager, ctx, 'product.created', { type: 'products', id: product.id });
      return product;
    });
  }

  async update(ctx: RequestContext, idOrCode: string, body: ResourceBody<UpdateProductAttributes>): Promise<Product> {
    return this.write(async (manager) => {
      const product = await this.find(ctx, idOrCode, manager);
      ProductRules.assertUpdate(ctx.bearer, product);
      assertSameId(body, product.id);
      const { name, code, distributionStrategy, url, metadata } = body.attributes;
      if (body.sent.has('code') && code && code.toLowerCase() !== product.code?.toLowerCase()) {
        await this.assertCodeFree(manager, ctx, code);
      }
      if (name !== undefined) product.name = name;
      if (body.sent.has('code')) product.code = code ?? null;
      if (distributionStrategy !== undefined) product.distributionStrategy = distributionStrategy;
      if (body.sent.has('url')) product.url = url ?? null;
      if (metadata !== undefined) product.metadata = metadata;
      await manager.getRepository(Product).save(product);
      await this.events.record(manager, ctx, 'product.updated', { type: 'products', id: product.id }, { changed: [...body.sent] });
      return product;
    });
  }

  async remove(ctx: RequestContext, idOrCode: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const product = await this.find(ctx, idOrCode, manager);
      ProductRules.assertDelete(ctx.bearer);
      await deleteFound(manager, Product, product.id, ctx.account.id, 'product');
      await this.events.record(manager, ctx, 'product.deleted', { type: 'products', id: product.id });
    });
  }

  async createToken(ctx: RequestContext, idOrCode: string, body: ResourceBody<CreateTokenAttributes>): Promise<IssuedToken> {
    const product = await this.find(ctx, idOrCode);
    ProductRules.assertCreateToken(ctx.bearer);
    return this.tokens.issue(ctx, { kind: 'product', productId: product.id }, body);
  }

  private write(work: (manager: EntityManager) => Promise<Product>): Promise<Product> {
    return writeUnique(this.db, work, { products_account_code_key: codeTaken });
  }

  private assertCodeFree(manager: EntityManager, ctx: RequestContext, code: string): Promise<void> {
    return assertKeyFree(manager, Product, 'code', ctx.account.id, code, codeTaken);
  }
}
