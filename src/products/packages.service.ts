import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { PackageRules, scopeVisiblePackages } from '../auth/access/catalog.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, Errors, relationshipPointer } from '../common/errors.js';
import { assertKeyFree, deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import { ENGINE_KEYS, Package, type EngineKey } from '../database/entities/package.entity.js';
import { Release } from '../database/entities/release.entity.js';
import { EnginesService } from '../engines/engines.service.js';
import { EventsService } from '../events/events.service.js';
import type { CreatePackageAttributes, UpdatePackageAttributes } from './dto/package-attributes.js';
import { engineKeyForm, normalizePypiName, packageKey } from './package-key.js';
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

  /**
   * A package by key whatever the bearer may see. Engines must tell a package that exists but is
   * hidden (401/403) from an unknown one (redirected upstream, or 404) (SPEC §6.1); the result is
   * never answered to the client as a record.
   */
  existing(ctx: RequestContext, key: string): Promise<Package | null> {
    return this.db.getRepository(Package).createQueryBuilder('p').where('p.account_id = :account AND lower(p.key) = lower(:key)', { account: ctx.account.id, key }).getOne();
  }

  /** The same, with the package's change serial (migration ChangeSerials), in one query. */
  async existingWithSerial(ctx: RequestContext, key: string): Promise<{ pkg: Package; serial: number } | null> {
    const { entities, raw } = await this.db
      .getRepository(Package)
      .createQueryBuilder('p')
      .leftJoin('package_serials', 'ps', 'ps.package_id = p.id')
      .addSelect('ps.serial', 'change_serial')
      .where('p.account_id = :account AND lower(p.key) = lower(:key)', { account: ctx.account.id, key })
      .getRawAndEntities<{ change_serial: number | null }>();
    if (!entities[0]) return null;
    return { pkg: entities[0], serial: raw[0].change_serial ?? 1 };
  }

  /** Whether the bearer sees the package itself (through its product), and whether it has any uploaded file at all. */
  async exposure(ctx: RequestContext, pkg: Package): Promise<{ visible: boolean; hasFiles: boolean }> {
    const visible = await this.visiblePackages(ctx).andWhere('pkg.id = :id', { id: pkg.id }).getExists();
    const [row] = await this.db.query(
      `SELECT EXISTS (SELECT 1 FROM artifacts a JOIN releases r ON r.id = a.release_id WHERE r.package_id = $1 AND a.status = 'UPLOADED') AS "hasFiles"`,
      [pkg.id],
    );
    return { visible, hasFiles: Boolean(row.hasFiles) };
  }

  /** A visible package of that engine by key, matched as the engine matches names; null when none. */
  findOfEngine(ctx: RequestContext, engine: EngineKey, key: string, manager?: EntityManager): Promise<Package | null> {
    return this.visiblePackages(ctx, manager)
      .andWhere('pkg.engine = :engine AND lower(pkg.key) = lower(:key)', { engine, key: engineKeyForm(engine, key) })
      .getOne();
  }

  /**
   * Whether the account holds that package of an engine — or that version of it, or that file
   * of the version — whoever may see it. Engine routes answer an anonymous caller 401 instead of
   * 404 for what exists but is hidden, so that curl, pip and uv users send credentials
   * (SPEC §6.1, §6.3). Never an answer by itself: callers first look up what is visible.
   */
  async exists(accountId: string, engine: EngineKey, key: string, path: { version?: string; filename?: string } = {}): Promise<boolean> {
    const qb = this.db
      .getRepository(Package)
      .createQueryBuilder('p')
      .where('p.account_id = :account AND p.engine = :engine AND lower(p.key) = lower(:key)', { account: accountId, engine, key: engineKeyForm(engine, key) });
    if (path.version !== undefined) {
      qb.innerJoin(Release, 'r', 'r.package_id = p.id AND r.version = :version', { version: path.version });
      if (path.filename !== undefined) qb.innerJoin(Artifact, 'a', 'a.release_id = r.id AND lower(a.filename) = lower(:filename)', { filename: path.filename });
    }
    return qb.getExists();
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
