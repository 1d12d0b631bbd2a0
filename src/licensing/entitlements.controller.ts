import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { EDITORS } from '../auth/access/catalog.access.js';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreateEntitlementAttributes, UpdateEntitlementAttributes } from './dto/licensing-attributes.js';
import { EntitlementsService } from './entitlements.service.js';
import { serializeEntitlement } from './serializers.js';
import { ApiDoc, list, none, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({ type: 'entitlements', attributes: CreateEntitlementAttributes });
const updateBody = new ResourceBodyPipe({ type: 'entitlements', attributes: UpdateEntitlementAttributes, purpose: 'update' });

@AccountRoute('entitlements', 'licensing')
export class EntitlementsController {
  constructor(private readonly entitlements: EntitlementsService) {}

  @Get()
  @ApiOperation({ summary: 'List entitlements (staff and product tokens: all; licenses and customers: those they hold)' })
  @ApiDoc({ body: list('entitlements'), query: listParameters('entitlements') })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.entitlements.list(ctx, query), serializeEntitlement);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show an entitlement by id or code' })
  @ApiDoc({ body: one('entitlements') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeEntitlement(await this.entitlements.find(ctx, id)) });
  }

  @Post()
  @Allow(...EDITORS)
  @ApiOperation({ summary: 'Create an entitlement (admins, developers)' })
  @ApiDoc({ body: one('entitlements') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateEntitlementAttributes>) {
    return JsonApiDocument.created(serializeEntitlement(await this.entitlements.create(ctx, body)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update an entitlement' })
  @ApiDoc({ body: one('entitlements') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdateEntitlementAttributes>) {
    return new JsonApiDocument({ data: serializeEntitlement(await this.entitlements.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an entitlement (detaches it everywhere)' })
  @ApiDoc({ body: none })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.entitlements.remove(ctx, id);
  }
}
