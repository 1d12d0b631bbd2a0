import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { CATALOG_WRITERS } from '../auth/access/catalog.access.js';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreatePackageAttributes, UpdatePackageAttributes } from './dto/package-attributes.js';
import { serializePackage } from './package.serializer.js';
import { PACKAGE_FILTERS, PackagesService } from './packages.service.js';
import { ApiDoc, list, none, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({
  type: 'packages',
  attributes: CreatePackageAttributes,
  relationships: { product: { type: 'products', required: true } },
});
const updateBody = new ResourceBodyPipe({ type: 'packages', attributes: UpdatePackageAttributes, purpose: 'update' });

@AccountRoute('packages', 'packages')
export class PackagesController {
  constructor(private readonly packages: PackagesService) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'List visible packages (filters: product, engine)' })
  @ApiDoc({ body: list('packages'), query: listParameters('packages', PACKAGE_FILTERS) })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw, PACKAGE_FILTERS);
    return listDocument(req, query, await this.packages.list(ctx, query), serializePackage);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'Show a package by id or key' })
  @ApiDoc({ body: one('packages') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializePackage(await this.packages.find(ctx, id)) });
  }

  @Post()
  @Allow(...CATALOG_WRITERS)
  @ApiOperation({ summary: 'Create a package (writers of its product)' })
  @ApiDoc({ body: one('packages') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreatePackageAttributes>) {
    return JsonApiDocument.created(serializePackage(await this.packages.create(ctx, body)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a package' })
  @ApiDoc({ body: one('packages') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdatePackageAttributes>) {
    return new JsonApiDocument({ data: serializePackage(await this.packages.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a package with its releases and artifacts' })
  @ApiDoc({ body: none })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.packages.remove(ctx, id);
  }
}
