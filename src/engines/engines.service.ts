import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { scopeVisiblePackages } from '../auth/access/catalog.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import { Engine } from '../database/entities/engine.entity.js';
import { Package, type EngineKey } from '../database/entities/package.entity.js';

/** Engine records are derived from packages (SPEC §3.3) and visible through them. */
@Injectable()
export class EnginesService {
  constructor(private readonly db: DataSource) {}

  /** Idempotent and race-free: concurrent writers of the same engine leave one row. */
  async ensure(manager: EntityManager, accountId: string, key: EngineKey | null): Promise<void> {
    if (!key) return;
    await manager.query('INSERT INTO engines (account_id, key) VALUES ($1, $2) ON CONFLICT (account_id, key) DO NOTHING', [accountId, key]);
  }

  private visibleEngines(ctx: RequestContext): SelectQueryBuilder<Engine> {
    const qb = this.db.getRepository(Engine).createQueryBuilder('e').where('e.account_id = :account', { account: ctx.account.id });
    const packages = this.db
      .getRepository(Package)
      .createQueryBuilder('pkg')
      .select('1')
      .where('pkg.account_id = e.account_id AND pkg.engine = e.key');
    scopeVisiblePackages(packages, 'pkg', ctx.bearer);
    return qb.andWhere(`EXISTS (${packages.getQuery()})`).setParameters(packages.getParameters());
  }

  list(ctx: RequestContext, query: ListQuery): Promise<[Engine[], number]> {
    return paged(this.visibleEngines(ctx), 'e', query).getManyAndCount();
  }

  async find(ctx: RequestContext, idOrKey: string): Promise<Engine> {
    const qb = this.visibleEngines(ctx);
    if (isUuid(idOrKey)) qb.andWhere('e.id = :id', { id: idOrKey });
    else qb.andWhere('e.key = lower(:key)', { key: idOrKey });
    const engine = await qb.getOne();
    if (!engine) throw Errors.notFound('engine');
    return engine;
  }
}
