import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountRoute } from '../common/account-route.js';
import type { Request } from 'express';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreateUserAttributes, UpdateUserAttributes } from './dto/user-attributes.js';
import { serializeUser } from './user.serializer.js';
import { UsersService } from './users.service.js';
import { ApiDoc, list, none, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({ type: 'users', attributes: CreateUserAttributes });
const updateBody = new ResourceBodyPipe({ type: 'users', attributes: UpdateUserAttributes, purpose: 'update' });

@AccountRoute('users', 'users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Allow('admin', 'developer', 'read-only', 'user')
  @ApiOperation({ summary: 'List users (staff: all; a customer: themselves)' })
  @ApiDoc({ body: list('users'), query: listParameters('users') })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.users.list(ctx, query), serializeUser);
  }

  @Get(':id')
  @Allow('admin', 'developer', 'read-only', 'user')
  @ApiOperation({ summary: 'Show a user by id or email' })
  @ApiDoc({ body: one('users') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeUser(await this.users.find(ctx, id)) });
  }

  @Post()
  @Allow('admin')
  @ApiOperation({ summary: 'Create a user (admins)' })
  @ApiDoc({ body: one('users') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateUserAttributes>) {
    return JsonApiDocument.created(serializeUser(await this.users.create(ctx, body)));
  }

  @Patch(':id')
  @Allow('admin')
  @ApiOperation({ summary: 'Update a user (admins)' })
  @ApiDoc({ body: one('users') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdateUserAttributes>) {
    return new JsonApiDocument({ data: serializeUser(await this.users.update(ctx, id, body)) });
  }

  @Delete(':id')
  @Allow('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user and their tokens (admins)' })
  @ApiDoc({ body: none })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.users.remove(ctx, id);
  }
}
