import { Body, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountRoute } from '../common/account-route.js';
import type { Request } from 'express';
import { USER_KINDS } from '../auth/bearer.js';
import { AcceptsPassword, Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { PasswordLoginGuard } from '../auth/password.strategy.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { TokenCreationLimit } from '../rate-limit/rate-limit.guard.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { OptionalBody, ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreateTokenAttributes } from './dto/token-attributes.js';
import { serializeToken } from './token.serializer.js';
import { TokensService } from './tokens.service.js';
import { ApiDoc, list, none, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new OptionalBody(new ResourceBodyPipe({ type: 'tokens', attributes: CreateTokenAttributes }));

@AccountRoute('tokens', 'tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @Allow(...USER_KINDS)
  @TokenCreationLimit()
  @AcceptsPassword()
  @UseGuards(PasswordLoginGuard)
  @ApiOperation({ summary: 'Create a token: Basic email:password, or a staff token (optional name, expiry)' })
  @ApiDoc({ body: one('tokens') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateTokenAttributes>) {
    const { token, raw } = await this.tokens.create(ctx, body);
    return JsonApiDocument.created(serializeToken(token, raw));
  }

  @Get()
  @ApiOperation({ summary: 'List tokens (own; admins all)' })
  @ApiDoc({ body: list('tokens'), query: listParameters('tokens') })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.tokens.list(ctx, query), (token) => serializeToken(token));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a token (never its value)' })
  @ApiDoc({ body: one('tokens') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeToken(await this.tokens.find(ctx, id)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token' })
  @ApiDoc({ body: none })
  async revoke(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.tokens.revoke(ctx, id);
  }
}
