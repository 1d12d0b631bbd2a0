import { Get, Param, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountRoute } from '../common/account-route.js';
import type { Request } from 'express';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { serializeEventLog } from './event-log.serializer.js';
import { EVENT_FILTERS, EventsService } from './events.service.js';
import { ApiDoc, list, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

@AccountRoute('event-logs', 'event-logs')
@Allow('admin')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({ summary: 'List events (admins; filters: event, resource)' })
  @ApiDoc({ body: list('event-logs'), query: listParameters('event-logs', EVENT_FILTERS) })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw, EVENT_FILTERS);
    return listDocument(req, query, await this.events.list(ctx, query), serializeEventLog);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show one event' })
  @ApiDoc({ body: one('event-logs') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    const event = await this.events.find(ctx, id);
    if (!event) throw Errors.notFound('event');
    return new JsonApiDocument({ data: serializeEventLog(event) });
  }
}
