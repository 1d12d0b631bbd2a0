import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { LICENSING_MANAGERS } from '../auth/access/licensing.access.js';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { OptionalBody, ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreateTokenAttributes } from '../tokens/dto/token-attributes.js';
import { serializeToken } from '../tokens/token.serializer.js';
import { serializeUser } from '../users/user.serializer.js';
import { CreateLicenseAttributes, UpdateLicenseAttributes } from './dto/licensing-attributes.js';
import { EntitlementLinkagePipe } from './entitlement-links.js';
import { LICENSE_FILTERS, LicensesService } from './licenses.service.js';
import { serializeEntitlement, serializeLicense } from './serializers.js';
import { VALIDATION_RESULT_SCHEMA, ValidateKeyService, ValidationRequestPipe, type ValidationRequest } from './validate-key.service.js';
import { ApiDoc, list, many, none, one, oneOrNull } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({
  type: 'licenses',
  attributes: CreateLicenseAttributes,
  relationships: { policy: { type: 'policies', required: true }, user: { type: 'users' } },
});
const updateBody = new ResourceBodyPipe({ type: 'licenses', attributes: UpdateLicenseAttributes, relationships: { user: { type: 'users' } }, purpose: 'update' });
const tokenBody = new OptionalBody(new ResourceBodyPipe({ type: 'tokens', attributes: CreateTokenAttributes }));
const linkage = new EntitlementLinkagePipe();
const validationBody = new ValidationRequestPipe();

@AccountRoute('licenses', 'licensing')
export class LicensesController {
  constructor(
    private readonly licenses: LicensesService,
    private readonly validation: ValidateKeyService,
  ) {}

  @Post('actions/validate-key')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Validate a license key for a scope; answers only valid, code and detail' })
  @ApiDoc({ body: { kind: 'meta', meta: VALIDATION_RESULT_SCHEMA } })
  async validateKey(@Ctx() ctx: RequestContext, @Body(validationBody) request: ValidationRequest) {
    return new JsonApiDocument({ meta: { ...(await this.validation.validate(ctx, request)) } });
  }

  @Get()
  @ApiOperation({ summary: 'List visible licenses (filters: product, policy, user)' })
  @ApiDoc({ body: list('licenses'), query: listParameters('licenses', LICENSE_FILTERS) })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw, LICENSE_FILTERS);
    return listDocument(req, query, await this.licenses.list(ctx, query), (license) => serializeLicense(license));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a license (never its key)' })
  @ApiDoc({ body: one('licenses') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeLicense(await this.licenses.find(ctx, id)) });
  }

  @Post()
  @Allow(...LICENSING_MANAGERS)
  @ApiOperation({ summary: 'Create a license; the key is shown in this response only' })
  @ApiDoc({ body: one('licenses') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateLicenseAttributes>) {
    const { license, key } = await this.licenses.create(ctx, body);
    return JsonApiDocument.created(serializeLicense(license, key));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a license' })
  @ApiDoc({ body: one('licenses') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdateLicenseAttributes>) {
    return new JsonApiDocument({ data: serializeLicense(await this.licenses.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a license' })
  @ApiDoc({ body: none })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.licenses.remove(ctx, id);
  }

  @Post(':id/actions/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend a license' })
  @ApiDoc({ body: one('licenses') })
  async suspend(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeLicense(await this.licenses.suspend(ctx, id)) });
  }

  @Post(':id/actions/reinstate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reinstate a suspended license' })
  @ApiDoc({ body: one('licenses') })
  async reinstate(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeLicense(await this.licenses.reinstate(ctx, id)) });
  }

  @Post(':id/actions/renew')
  @HttpCode(200)
  @ApiOperation({ summary: "Extend the expiry by the policy's duration" })
  @ApiDoc({ body: one('licenses') })
  async renew(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeLicense(await this.licenses.renew(ctx, id)) });
  }

  @Get(':id/user')
  @ApiOperation({ summary: "The license's user (data: null when it has none); the user as GET /users/{id} shows it" })
  @ApiDoc({ body: oneOrNull('users') })
  async user(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    const user = await this.licenses.relatedUser(ctx, id);
    return new JsonApiDocument({ data: user && serializeUser(user) });
  }

  @Get(':id/entitlements')
  @ApiOperation({ summary: "The license's effective entitlements (its own ∪ its policy's)" })
  @ApiDoc({ body: list('entitlements'), query: listParameters('entitlements') })
  async entitlements(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.licenses.listEntitlements(ctx, id, query), serializeEntitlement);
  }

  @Post(':id/entitlements')
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach entitlements to the license' })
  @ApiDoc({ body: many('entitlements') })
  async attach(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(linkage) refs: string[]) {
    return new JsonApiDocument({ data: (await this.licenses.attach(ctx, id, refs)).map(serializeEntitlement) });
  }

  @Delete(':id/entitlements')
  @HttpCode(204)
  @ApiOperation({ summary: 'Detach entitlements from the license' })
  @ApiDoc({ body: none })
  async detach(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(linkage) refs: string[]) {
    await this.licenses.detach(ctx, id, refs);
  }

  @Post(':id/tokens')
  @ApiOperation({ summary: 'Create a license token' })
  @ApiDoc({ body: one('tokens') })
  async createToken(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(tokenBody) body: ResourceBody<CreateTokenAttributes>) {
    const { token, raw } = await this.licenses.createToken(ctx, id, body);
    return JsonApiDocument.created(serializeToken(token, raw));
  }
}
