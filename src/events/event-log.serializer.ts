import { accountPath, resource, timestamp, type ResourceObject } from '../common/jsonapi.js';
import type { EventLog } from '../database/entities/event-log.entity.js';

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
