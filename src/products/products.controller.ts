import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { EDITORS } from '../auth/access/catalog.access.js';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { OptionalBody, ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { CreateTokenAttributes } from '../tokens/dto/token-attributes.js';
import { serializeToken } from '../tokens/token.serializer.js';
import { CreateProductAttributes, UpdateProductAttributes } from './dto/product-attributes.js';
import { serializeProduct } from './product.serializer.js';
import { ProductsService } from './products.service.js';
import { ApiDoc, list, none, one } from '../openapi/operation.js';
import { listParameters } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({ type: 'products', attributes: CreateProductAttributes });
const updateBody = new ResourceBodyPipe({ type: 'products', attributes: UpdateProductAttributes, purpose: 'update' });
const tokenBody = new OptionalBody(new ResourceBodyPipe({ type: 'tokens', attributes: CreateTokenAttributes }));

@AccountRoute('products', 'products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get()
  @ApiOperation({ summary: 'List the products visible to the bearer (credentials required)' })
  @ApiDoc({ body: list('products'), query: listParameters('products') })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Record<string, unknown>, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.products.list(ctx, query), serializeProduct);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Show a product by id or code' })
  @ApiDoc({ body: one('products') })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    return new JsonApiDocument({ data: serializeProduct(await this.products.find(ctx, id)) });
  }

  @Post()
  @Allow(...EDITORS)
  @ApiOperation({ summary: 'Create a product (admins, developers)' })
  @ApiDoc({ body: one('products') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateProductAttributes>) {
    return JsonApiDocument.created(serializeProduct(await this.products.create(ctx, body)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a product (admins, developers, its product token)' })
  @ApiDoc({ body: one('products') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdateProductAttributes>) {
    return new JsonApiDocument({ data: serializeProduct(await this.products.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a product with its packages, policies and licenses' })
  @ApiDoc({ body: none })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.products.remove(ctx, id);
  }

  @Post(':id/tokens')
  @ApiOperation({ summary: 'Create a product token (admins, developers)' })
  @ApiDoc({ body: one('tokens') })
  async createToken(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(tokenBody) body: ResourceBody<CreateTokenAttributes>) {
    const { token, raw } = await this.products.createToken(ctx, id, body);
    return JsonApiDocument.created(serializeToken(token, raw));
  }
}
