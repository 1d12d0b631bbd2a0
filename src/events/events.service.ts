import { Injectable } from '@nestjs/common';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { bearerReference } from '../auth/bearer.js';
import type { RequestContext } from '../auth/decorators.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { isUuid } from '../common/ids.js';
import { EventLog } from '../database/entities/event-log.entity.js';
import { poolOf } from '../database/pool.js';
import { GroupedRuns } from '../common/grouped-runs.js';

export const EVENT_FILTERS = ['event', 'resource'] as const;

/** Who and what an event is recorded for. */
type EventContext = { account: { id: string }; bearer: RequestContext['bearer']; requestId: string | null };

/** The columns of an event row, in the order `eventRow` gives their values. */
const EVENT_COLUMNS = ['account_id', 'event', 'resource_type', 'resource_id', 'bearer_type', 'bearer_id', 'request_id', 'metadata'] as const;

/** The values of one event row, as text (metadata as JSON) or null; both ways of recording insert these. */
function eventRow(ctx: EventContext, event: string, resource: { type: string; id: string }, metadata: Record<string, unknown> | null): (string | null)[] {
  const bearer = bearerReference(ctx.bearer);
  return [ctx.account.id, event, resource.type, resource.id, bearer?.type ?? null, bearer?.id ?? null, ctx.requestId, metadata === null ? null : JSON.stringify(metadata)];
}

/** The INSERT of event rows, each a parenthesized list of values written as given (placeholders or literals). */
const insertEvents = (rows: string[]) => `INSERT INTO event_logs (${EVENT_COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`;

/** The append-only event log (SPEC §8.3). */
@Injectable()
export class EventsService {
  constructor(private readonly db: DataSource) {}

  /** Records an event; pass the transaction's manager so the event commits with the change. */
  async record(
    manager: EntityManager,
    ctx: EventContext,
    event: string,
    resource: { type: string; id: string },
    metadata: Record<string, unknown> | null = null,
  ): Promise<void> {
    const values = eventRow(ctx, event, resource, metadata);
    await manager.query(insertEvents([`(${values.map((_, i) => `$${i + 1}`).join(', ')})`]), values);
  }

  /**
   * Records an event of a read (`release.upgraded`, served to installed software on every poll):
   * committed before the answer is sent, so the next request sees it, but without waiting for
   * the WAL flush (`synchronous_commit = off` for this statement's implicit transaction only: one
   * round trip, rolled back whole on an error). A PostgreSQL crash may lose the last fraction of
   * a second of such events; no write of the catalog or of credentials goes this way. Concurrent
   * reads share statements: an event recorded while another statement is out goes, with every
   * other such event of the same account, into the next one, which the caller awaits (see
   * GroupedRuns): a statement that fails fails only requests of that account. The two
   * statements go as one simple query (no parameters), so the values are written as escaped
   * literals.
   */
  async recordRead(ctx: EventContext, event: string, resource: { type: string; id: string }, metadata: Record<string, unknown> | null = null): Promise<void> {
    await this.reads.call(ctx.account.id, eventRow(ctx, event, resource, metadata));
  }

  private readonly reads = new GroupedRuns<string, (string | null)[], void>(async (_key, rows) => {
    const values = rows.map((row) => `(${row.map((value) => (value === null ? 'NULL' : pg.escapeLiteral(value))).join(', ')})`);
    await poolOf(this.db).query(`SELECT set_config('synchronous_commit', 'off', true); ${insertEvents(values)}`);
  });

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
