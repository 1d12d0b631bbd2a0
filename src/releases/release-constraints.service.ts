import { Injectable, type PipeTransform } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ReleaseRules } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { dataList, isPlainObject, onlyMembers } from '../common/json-members.js';
import { clientGeneratedId } from '../common/resource-body.js';
import { isUuid } from '../common/ids.js';
import { paged, type ListQuery } from '../common/list-query.js';
import { Entitlement } from '../database/entities/entitlement.entity.js';
import { dataArray, linkage, linkageList, type Schema } from '../openapi/schema.js';
import { ReleaseConstraint } from '../database/entities/release-constraint.entity.js';
import { EntitlementLinks, entitlementTaken } from '../licensing/entitlement-links.js';
import { writeUnique } from '../common/unique.js';
import type { ReleaseNarrowing } from './release-queries.js';
import { ReleasesService } from './releases.service.js';
import { EventsService } from '../events/events.service.js';

/** `{"data":[{"type":"constraints","relationships":{"entitlement":{"data":{"type":"entitlements","id":…}}}}]}` */
export class AttachConstraintsPipe implements PipeTransform<unknown, string[]> {
  transform(body: unknown): string[] {
    return dataList(body, 'constraints', ['type', 'id', 'relationships']).map((item, index) => {
      // Attaching creates constraints, whose ids the server assigns (JSON:API, as on every create).
      if (item.id !== undefined) throw clientGeneratedId(`/data/${index}/id`);
      const at = `/data/${index}/relationships`;
      const invalid = () =>
        Errors.badRequest('ENTITLEMENT_INVALID', 'each constraint needs relationships.entitlement.data {"type":"entitlements","id":…}', {
          pointer: `${at}/entitlement`,
        });
      if (!isPlainObject(item.relationships)) throw invalid();
      onlyMembers(item.relationships, ['entitlement'], at);
      const relationship = item.relationships.entitlement;
      if (!isPlainObject(relationship)) throw invalid();
      onlyMembers(relationship, ['data'], `${at}/entitlement`);
      const linkage = relationship.data;
      if (!isPlainObject(linkage) || linkage.type !== 'entitlements' || typeof linkage.id !== 'string' || linkage.id === '') throw invalid();
      onlyMembers(linkage, ['type', 'id'], `${at}/entitlement/data`);
      return linkage.id;
    });
  }

  /** The document this pipe reads, for the OpenAPI document. */
  requestSchema(): Schema {
    return dataArray({
      type: 'object',
      required: ['type', 'relationships'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: ['constraints'] },
        relationships: {
          type: 'object',
          required: ['entitlement'],
          additionalProperties: false,
          properties: { entitlement: { type: 'object', required: ['data'], additionalProperties: false, properties: { data: linkage('entitlements') } } },
        },
      },
    });
  }

}

/** `{"data":[{"type":"constraints","id":…}]}` */
export class DetachConstraintsPipe implements PipeTransform<unknown, string[]> {
  transform(body: unknown): string[] {
    return dataList(body, 'constraints', ['type', 'id']).map((item, index) => {
      if (typeof item.id !== 'string' || item.id === '') {
        throw Errors.badRequest('ID_INVALID', 'each constraint to detach needs its id', { pointer: `/data/${index}/id` });
      }
      return item.id;
    });
  }

  requestSchema(): Schema {
    return linkageList('constraints', { description: 'Constraints by id' });
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
      const repo = manager.getRepository(ReleaseConstraint);
      const attached = new Set((await repo.findBy({ releaseId: release.id })).map((c) => c.entitlementId));
      for (const [index, entitlement] of entitlements.entries()) {
        if (attached.has(entitlement.id)) {
          throw Errors.unprocessable('ENTITLEMENT_TAKEN', `entitlement ${entitlement.code} is already a constraint`, { pointer: `/data/${index}` });
        }
        attached.add(entitlement.id);
      }
      const { identifiers } = await repo.insert(entitlements.map((e) => ({ accountId: ctx.account.id, releaseId: release.id, entitlementId: e.id })));
      const ids = identifiers.map((identifier) => identifier.id as string);
      const created = await repo.findBy({ id: In(ids) });
      await this.events.record(manager, ctx, 'release.constraints.attached', { type: 'releases', id: release.id }, { entitlements: entitlements.map((e) => e.id) });
      return ids.map((id) => created.find((c) => c.id === id)!);
    }, { release_constraints_key: entitlementTaken });
  }

  async detach(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, ids: string[]): Promise<void> {
    await this.db.transaction(async (manager) => {
      const release = await this.releases.find(ctx, ref, narrowing, manager);
      ReleaseRules.assertWrite(ctx.bearer, release.productId, "change this release's constraints");
      // One statement; what it did not delete (not attached, named twice, detached meanwhile) is a 422.
      const [rows]: [{ id: string }[], number] = await manager.query('DELETE FROM release_constraints WHERE release_id = $1 AND id = ANY($2::uuid[]) RETURNING id', [
        release.id,
        ids.filter(isUuid),
      ]);
      const detached = new Set(rows.map((row) => row.id));
      for (const [index, id] of ids.entries()) {
        if (!detached.delete(id.toLowerCase())) throw Errors.unprocessable('CONSTRAINT_NOT_FOUND', `constraint ${id} is not attached to this release`, { pointer: `/data/${index}/id` });
      }
      await this.events.record(manager, ctx, 'release.constraints.detached', { type: 'releases', id: release.id }, { constraints: ids });
    });
  }
}
