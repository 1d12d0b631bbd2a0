import { accountPath, resource, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { EventLog } from '../database/entities/event-log.entity.js';
import { metadata, nullable, string, dateTime, type ResourceShape } from '../openapi/schema.js';

export function serializeEventLog(event: EventLog): ResourceObject {
  const base = accountPath(event.accountId);
  return resource(
    event.accountId,
    'event-logs',
    event.id,
    {
      event: event.event,
      metadata: event.metadata,
      requestId: event.requestId,
      created: timestamp(event.createdAt),
    },
    {
      resource: {
        data: { type: event.resourceType, id: event.resourceId },
        links: { related: `${base}/${event.resourceType}/${event.resourceId}` },
      },
      ...(event.bearerType && event.bearerId
        ? {
            bearer: {
              data: { type: event.bearerType, id: event.bearerId },
              links: { related: `${base}/${event.bearerType}/${event.bearerId}` },
            },
          }
        : {}),
    },
  );
}

/** Polymorphic links: the record an event is about, and the bearer that caused it. */
const EVENT_RESOURCE_TYPES = ['accounts', 'products', 'packages', 'releases', 'artifacts', 'entitlements', 'constraints', 'policies', 'licenses', 'users', 'tokens'];
const BEARER_TYPES = ['users', 'products', 'licenses'];

export const EVENT_LOG_SHAPE: ResourceShape = {
  type: 'event-logs',
  name: 'EventLog',
  description: 'An entry of the append-only event log (SPEC §8.3)',
  attributes: {
    event: string({ examples: ['release.published'] }),
    metadata: nullable(metadata()),
    requestId: nullable(string()),
    created: dateTime(),
  },
  relationships: {
    resource: { kind: 'one', type: EVENT_RESOURCE_TYPES },
    bearer: { kind: 'one', type: BEARER_TYPES, optional: true },
  },
};
