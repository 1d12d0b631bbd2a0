import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { bearerReference } from '../auth/bearer.js';
import type { RequestContext } from '../auth/decorators.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { isUuid } from '../common/ids.js';
import { EventLog } from '../database/entities/event-log.entity.js';

export const EVENT_FILTERS = ['event', 'resource'] as const;

/** The append-only event log (SPEC §8.3). */
@Injectable()
export class EventsService {
  constructor(private readonly db: DataSource) {}

  /** Records an event; pass the transaction's manager so the event commits with the change. */
  async record(
    manager: EntityManager,
    ctx: { account: { id: string }; bearer: RequestContext['bearer']; requestId: string | null },
    event: string,
    resource: { type: string; id: string },
    metadata: Record<string, unknown> | null = null,
  ): Promise<void> {
    const bearer = bearerReference(ctx.bearer);
    await manager.getRepository(EventLog).insert({
      accountId: ctx.account.id,
      event,
      resourceType: resource.type,
      resourceId: resource.id,
      bearerType: bearer?.type ?? null,
      bearerId: bearer?.id ?? null,
      requestId: ctx.requestId,
      metadata: metadata as never,
    });
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<[EventLog[], number]> {
    const qb = paged(
      this.db.getRepository(EventLog).createQueryBuilder('e').where('e.account_id = :account', { account: ctx.account.id }),
      'e',
      query,
    );
    const event = singleFilter(query, 'event');
    if (event !== undefined) qb.andWhere('e.event = :event', { event });
    const resource = singleFilter(query, 'resource');
    if (resource !== undefined) {
      // A resource that is not an id names nothing: an empty list, not an error (SPEC §1.4).
      if (!isUuid(resource)) return [[], 0];
      qb.andWhere('e.resource_id = :resource', { resource });
    }
    return qb.getManyAndCount();
  }

  async find(ctx: RequestContext, id: string): Promise<EventLog | null> {
    if (!isUuid(id)) return null;
    return this.db.getRepository(EventLog).findOneBy({ id, accountId: ctx.account.id });
  }
}
