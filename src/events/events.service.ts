import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { bearerReference } from '../auth/bearer.js';
import type { RequestContext } from '../auth/decorators.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { isUuid } from '../common/ids.js';
import { EventLog } from '../database/entities/event-log.entity.js';
import { poolOf } from '../database/pool.js';

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

  /**
   * Records an event of a read (`release.upgraded`, served to installed software on every poll):
   * committed before the answer is sent, so the next request sees it, but without waiting for
   * the WAL flush (`synchronous_commit = off` for this statement's implicit transaction only: one
   * round trip, rolled back whole on an error). A
   * PostgreSQL crash may lose the last fraction of a second of such events; no write of the
   * catalog or of credentials goes this way.
   */
  async recordRead(
    ctx: { account: { id: string }; bearer: RequestContext['bearer']; requestId: string | null },
    event: string,
    resource: { type: string; id: string },
    metadata: Record<string, unknown> | null = null,
  ): Promise<void> {
    const bearer = bearerReference(ctx.bearer);
    const values = [ctx.account.id, event, resource.type, resource.id, bearer?.type ?? null, bearer?.id ?? null, ctx.requestId, metadata === null ? null : JSON.stringify(metadata)];
    const literals = values.map((value) => (value === null ? 'NULL' : pg.escapeLiteral(value)));
    await poolOf(this.db).query(
      `SELECT set_config('synchronous_commit', 'off', true);
       INSERT INTO event_logs (account_id, event, resource_type, resource_id, bearer_type, bearer_id, request_id, metadata) VALUES (${literals.join(', ')})`,
    );
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
