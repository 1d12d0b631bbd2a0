import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { PackageRules, scopeVisiblePackages } from '../auth/access/catalog.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, Errors, relationshipPointer } from '../common/errors.js';
import { assertKeyFree, deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { ENGINE_KEYS, Package } from '../database/entities/package.entity.js';
import { EnginesService } from '../engines/engines.service.js';
import { EventsService } from '../events/events.service.js';
import type { CreatePackageAttributes, UpdatePackageAttributes } from './dto/package-attributes.js';
import { normalizePypiName, packageKey } from './package-key.js';
import { ProductsService } from './products.service.js';

export const PACKAGE_FILTERS = ['product', 'engine'] as const;

const keyTaken = () => Errors.unprocessable('KEY_TAKEN', 'key is already taken', attributePointer('key'));

@Injectable()
export class PackagesService {
  constructor(
    private readonly db: DataSource,
    private readonly products: ProductsService,
    private readonly engines: EnginesService,
    private readonly events: EventsService,
  ) {}

  visiblePackages(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<Package> {
    const qb = manager.getRepository(Package).createQueryBuilder('pkg').where('pkg.account_id = :account', { account: ctx.account.id });
    return scopeVisiblePackages(qb, 'pkg', ctx.bearer);
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<[Package[], number]> {
    const qb = this.visiblePackages(ctx);
    const engine = singleFilter(query, 'engine');
    if (engine !== undefined) {
      if (!(ENGINE_KEYS as readonly string[]).includes(engine)) {
        throw Errors.badParameter('engine', `engine must be one of ${ENGINE_KEYS.join(', ')}`);
      }
      qb.andWhere('pkg.engine = :engine', { engine });
    }
    const productRef = singleFilter(query, 'product');
    if (productRef !== undefined) {
      const product = await this.products.findVisible(ctx, productRef);
      if (!product) return [[], 0];
      qb.andWhere('pkg.product_id = :product', { product: product.id });
    }
    return paged(qb, 'pkg', query).getManyAndCount();
  }

  /** By id or key; a pypi package is also found by any spelling of its name (PEP 503). */
  async find(ctx: RequestContext, idOrKey: string, manager?: EntityManager): Promise<Package> {
    const qb = forWrite(this.visiblePackages(ctx, manager), manager, 'pkg');
    if (isUuid(idOrKey)) qb.andWhere('pkg.id = :id', { id: idOrKey });
    else {
      qb.andWhere(`(lower(pkg.key) = lower(:key) OR (pkg.engine = 'pypi' AND pkg.key = :normalized))`, {
        key: idOrKey,
        normalized: normalizePypiName(idOrKey),
      });
    }
    const pkg = await qb.getOne();
    if (!pkg) throw Errors.notFound('package');
    return pkg;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreatePackageAttributes>): Promise<Package> {
    const { name, key, engine, metadata } = body.attributes;
    const product = await this.products.findVisible(ctx, body.relationships.product!);
    if (!product) throw Errors.unprocessable('PRODUCT_NOT_FOUND', 'product does not exist', relationshipPointer('product'));
    PackageRules.assertWrite(ctx.bearer, { productId: product.id });
    const storedKey = packageKey(key, engine ?? null);
    return this.write(async (manager) => {
      await this.assertKeyFree(manager, ctx, storedKey);
      const pkg = await manager.getRepository(Package).save({
        accountId: ctx.account.id,
        productId: product.id,
        name,
        key: storedKey,
        engine: engine ?? null,
        metadata: metadata ?? {},
      });
      await this.engines.ensure(manager, ctx.account.id, pkg.engine);
      await this.events.record(manager, ctx, 'package.created', { type: 'packages', id: pkg.id });
      return pkg;
    });
  }

  async update(ctx: RequestContext, idOrKey: string, body: ResourceBody<UpdatePackageAttributes>): Promise<Package> {
    return this.write(async (manager) => {
      const pkg = await this.find(ctx, idOrKey, manager);
      PackageRules.assertWrite(ctx.bearer, pkg);
      assertSameId(body, pkg.id);
      const { name, key, engine, metadata } = body.attributes;
      if (body.sent.has('engine')) pkg.engine = engine ?? null;
      if (key !== undefined || body.sent.has('engine')) {
        const storedKey = packageKey(key ?? pkg.key, pkg.engine);
        if (storedKey.toLowerCase() !== pkg.key.toLowerCase()) await this.assertKeyFree(manager, ctx, storedKey);
        pkg.key = storedKey;
      }
      if (name !== undefined) pkg.name = name;
      if (metadata !== undefined) pkg.metadata = metadata;
      await manager.getRepository(Package).save(pkg);
      await this.engines.ensure(manager, ctx.account.id, pkg.engine);
      await this.events.record(manager, ctx, 'package.updated', { type: 'packages', id: pkg.id }, { changed: [...body.sent] });
      return pkg;
    });
  }

  async remove(ctx: RequestContext, idOrKey: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const pkg = await this.find(ctx, idOrKey, manager);
      PackageRules.assertWrite(ctx.bearer, pkg);
      await deleteFound(manager, Package, pkg.id, ctx.account.id, 'package');
      await this.events.record(manager, ctx, 'package.deleted', { type: 'packages', id: pkg.id });
    });
  }

  private write(work: (manager: EntityManager) => Promise<Package>): Promise<Package> {
    return writeUnique(this.db, work, { packages_account_key_key: keyTaken });
  }

  private assertKeyFree(manager: EntityManager, ctx: RequestContext, key: string): Promise<void> {
    return assertKeyFree(manager, Package, 'key', ctx.account.id, key, keyTaken);
  }
}
