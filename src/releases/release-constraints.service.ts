import { Injectable, type PipeTransform } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReleaseRules } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import { Entitlement } from '../database/entities/entitlement.entity.js';
import { ReleaseConstraint } from '../database/entities/release-constraint.entity.js';
import { EntitlementLinks, entitlementTaken } from '../licensing/entitlement-links.js';
import { writeUnique } from '../common/unique.js';
import type { ReleaseNarrowing } from './release-queries.js';
import { ReleasesService } from './releases.service.js';
import { EventsService } from '../events/events.service.js';

type ConstraintItem = { type?: unknown; id?: unknown; relationships?: { entitlement?: { data?: { type?: unknown; id?: unknown } } } };

function items(body: unknown): ConstraintItem[] {
  const data = (body as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length > 100) {
    throw Errors.badRequest('DATA_INVALID', 'data must be a list of 1 to 100 constraints', { pointer: '/data' });
  }
  return data.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || (item as ConstraintItem).type !== 'constraints') {
      throw Errors.badRequest('DATA_INVALID', 'each item must be of type "constraints"', { pointer: `/data/${index}/type` });
    }
    return item as ConstraintItem;
  });
}

/** `{"data":[{"type":"constraints","relationships":{"entitlement":{"data":{"type":"entitlements","id":…}}}}]}` */
export class AttachConstraintsPipe implements PipeTransform<unknown, string[]> {
  transform(body: unknown): string[] {
    return items(body).map((item, index) => {
      const linkage = item.relationships?.entitlement?.data;
      if (!linkage || linkage.type !== 'entitlements' || typeof linkage.id !== 'string' || linkage.id === '') {
        throw Errors.badRequest('ENTITLEMENT_INVALID', 'each constraint needs relationships.entitlement.data {"type":"entitlements","id":…}', {
          pointer: `/data/${index}/relationships/entitlement`,
        });
      }
      return linkage.id;
    });
  }
}

/** `{"data":[{"type":"constraints","id":…}]}` */
export class DetachConstraintsPipe implements PipeTransform<unknown, string[]> {
  transform(body: unknown): string[] {
    return items(body).map((item, index) => {
      if (typeof item.id !== 'string' || item.id === '') {
        throw Errors.badRequest('ID_INVALID', 'each constraint to detach needs its id', { pointer: `/data/${index}/id` });
      }
      return item.id;
    });
  }
}

/** The entitlements a release requires (SPEC §3.4). */
@Injectable()
export class ReleaseConstraintsService {
  constructor(
    private readonly db: DataSource,
    private readonly releases: ReleasesService,
    private readonly links: EntitlementLinks,
    private readonly events: EventsService,
  ) {}

  async list(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, query: ListQuery): Promise<[ReleaseConstraint[], number]> {
    const release = await this.releases.find(ctx, ref, narrowing);
    const qb = this.db.getRepository(ReleaseConstraint).createQueryBuilder('c').where('c.release_id = :release', { release: release.id });
    return paged(qb, 'c', query).getManyAndCount();
  }

  async find(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, id: string): Promise<ReleaseConstraint> {
    const release = await this.releases.find(ctx, ref, narrowing);
    const constraint = isUuid(id) ? await this.db.getRepository(ReleaseConstraint).findOneBy({ id, releaseId: release.id }) : null;
    if (!constraint) throw Errors.notFound('constraint');
    return constraint;
  }

  async entitlements(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, query: ListQuery): Promise<[Entitlement[], number]> {
    const release = await this.releases.find(ctx, ref, narrowing);
    const qb = this.db
      .getRepository(Entitlement)
      .createQueryBuilder('e')
      .where('e.id IN (SELECT c.entitlement_id FROM release_constraints c WHERE c.release_id = :release)', { release: release.id });
    return paged(qb, 'e', query).getManyAndCount();
  }

  async attach(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, refs: string[]): Promise<ReleaseConstraint[]> {
    return writeUnique(this.db, async (manager) => {
      const release = await this.releases.find(ctx, ref, narrowing, manager);
      ReleaseRules.assertWrite(ctx.bearer, release.productId, "change this release's constraints");
      const entitlements = await this.links.resolve(manager, ctx, refs);
      const attached = new Set((await manager.getRepository(ReleaseConstraint).findBy({ releaseId: release.id })).map((c) => c.entitlementId));
      const created: ReleaseConstraint[] = [];
      for (const [index, entitlement] of entitlements.entries()) {
        if (attached.has(entitlement.id)) {
          throw Errors.unprocessable('ENTITLEMENT_TAKEN', `entitlement ${entitlement.code} is already a constraint`, { pointer: `/data/${index}` });
        }
        attached.add(entitlement.id);
        created.push(await manager.getRepository(ReleaseConstraint).save({ accountId: ctx.account.id, releaseId: release.id, entitlementId: entitlement.id }));
      }
      await this.events.record(manager, ctx, 'release.constraints.attached', { type: 'releases', id: release.id }, { entitlements: entitlements.map((e) => e.id) });
      return created;
    }, { release_constraints_key: entitlementTaken });
  }

  async detach(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, ids: string[]): Promise<void> {
    await this.db.transaction(async (manager) => {
      const release = await this.releases.find(ctx, ref, narrowing, manager);
      ReleaseRules.assertWrite(ctx.bearer, release.productId, "change this release's constraints");
      for (const [index, id] of ids.entries()) {
        const found = isUuid(id) && (await manager.getRepository(ReleaseConstraint).existsBy({ id, releaseId: release.id }));
        if (!found) throw Errors.unprocessable('CONSTRAINT_NOT_FOUND', `constraint ${id} is not attached to this release`, { pointer: `/data/${index}/id` });
      }
      await manager.getRepository(ReleaseConstraint).delete(ids.map((id) => ({ id, releaseId: release.id })));
      await this.events.record(manager, ctx, 'release.constraints.detached', { type: 'releases', id: release.id }, { constraints: ids });
    });
  }
}
