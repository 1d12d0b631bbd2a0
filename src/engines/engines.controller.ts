import { Get, Param, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { serializeEngine } from './engine.serializer.js';
import { EnginesService } from './engines.service.js';
import { ApiDoc, list, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

@AccountRoute('engines', 'engines')
@Public()
export class EnginesController {
  constructor(private readonly engines: EnginesService) {}

  @Get()
  @ApiOperation({ summary: 'Engines with at least one package visible to the bearer' })
  @ApiDoc({ body: list('engines'), query: listParameters('engines') })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.engines.list(ctx, query), serializeEngine);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show an engine by id or key' })
  @ApiDoc({ body: one('engines') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeEngine(await this.engines.find(ctx, id)) });
  }
}
