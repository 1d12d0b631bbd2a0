import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { LICENSING_MANAGERS } from '../auth/access/licensing.access.js';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreatePolicyAttributes, UpdatePolicyAttributes } from './dto/licensing-attributes.js';
import { EntitlementLinkagePipe } from './entitlement-links.js';
import { POLICY_FILTERS, PoliciesService } from './policies.service.js';
import { serializeEntitlement, serializePolicy } from './serializers.js';
import { ApiDoc, list, many, none, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({
  type: 'policies',
  attributes: CreatePolicyAttributes,
  relationships: { product: { type: 'products', required: true } },
});
const updateBody = new ResourceBodyPipe({ type: 'policies', attributes: UpdatePolicyAttributes, purpose: 'update' });
const linkage = new EntitlementLinkagePipe();

@AccountRoute('policies', 'licensing')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Get()
  @ApiOperation({ summary: 'List policies (staff: all; a product token: its own; filter: product)' })
  @ApiDoc({ body: list('policies'), query: listParameters('policies', POLICY_FILTERS) })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw, POLICY_FILTERS);
    return listDocument(req, query, await this.policies.list(ctx, query), serializePolicy);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a policy' })
  @ApiDoc({ body: one('policies') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializePolicy(await this.policies.find(ctx, id)) });
  }

  @Post()
  @Allow(...LICENSING_MANAGERS)
  @ApiOperation({ summary: 'Create a policy for a product' })
  @ApiDoc({ body: one('policies') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreatePolicyAttributes>) {
    return JsonApiDocument.created(serializePolicy(await this.policies.create(ctx, body)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a policy' })
  @ApiDoc({ body: one('policies') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdatePolicyAttributes>) {
    return new JsonApiDocument({ data: serializePolicy(await this.policies.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a policy and its licenses' })
  @ApiDoc({ body: none })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.policies.remove(ctx, id);
  }

  @Get(':id/entitlements')
  @ApiOperation({ summary: "The policy's entitlements" })
  @ApiDoc({ body: list('entitlements'), query: listParameters('entitlements') })
  async entitlements(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.policies.listEntitlements(ctx, id, query), serializeEntitlement);
  }

  @Post(':id/entitlements')
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach entitlements ({"data":[{"type":"entitlements","id":…}]})' })
  @ApiDoc({ body: many('entitlements') })
  async attach(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(linkage) refs: string[]) {
    return new JsonApiDocument({ data: (await this.policies.attach(ctx, id, refs)).map(serializeEntitlement) });
  }

  @Delete(':id/entitlements')
  @HttpCode(204)
  @ApiOperation({ summary: 'Detach entitlements' })
  @ApiDoc({ body: none })
  async detach(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(linkage) refs: string[]) {
    await this.policies.detach(ctx, id, refs);
  }
}
