import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { CATALOG_WRITERS } from '../auth/access/catalog.access.js';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import { serializeEntitlement } from '../licensing/serializers.js';
import { serializePackage } from '../products/package.serializer.js';
import { CreateReleaseAttributes, UpdateReleaseAttributes } from './dto/release-attributes.js';
import { AttachConstraintsPipe, DetachConstraintsPipe, ReleaseConstraintsService } from './release-constraints.service.js';
import { parseNarrowing } from './release-queries.js';
import { serializeConstraint, serializeRelease } from './release.serializer.js';
import { RELEASE_FILTERS, ReleasesService } from './releases.service.js';
import { ApiDoc, list, many, none, one, oneOrNull } from '../openapi/operation.js';
import { listParameters, NARROWING, PAGE_PARAMETERS } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({
  type: 'releases',
  attributes: CreateReleaseAttributes,
  relationships: { product: { type: 'products', required: true }, package: { type: 'packages' } },
});
const updateBody = new ResourceBodyPipe({ type: 'releases', attributes: UpdateReleaseAttributes, purpose: 'update' });
type Raw = Record<string, unknown>;

@AccountRoute('releases', 'releases')
export class ReleasesController {
  constructor(
    private readonly releases: ReleasesService,
    private readonly constraints: ReleaseConstraintsService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'List visible releases (filters: product, package, channel, status, yanked, entitlements[])' })
  @ApiDoc({ body: list('releases'), query: listParameters('releases', RELEASE_FILTERS) })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw, RELEASE_FILTERS);
    return listDocument(req, query, await this.releases.list(ctx, query), serializeRelease);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'Show a release by id, version or tag (narrow with ?product= and ?package=)' })
  @ApiDoc({ body: one('releases'), query: NARROWING })
  async show(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw) {
    return new JsonApiDocument({ data: serializeRelease(await this.releases.find(ctx, id, parseNarrowing(raw))) });
  }

  @Get(':id/package')
  @Public()
  @ApiOperation({ summary: "The release's package (data: null when it has none); the package as GET /packages/{id} shows it" })
  @ApiDoc({ body: oneOrNull('packages'), query: NARROWING })
  async package(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw) {
    const pkg = await this.releases.relatedPackage(ctx, id, parseNarrowing(raw));
    return new JsonApiDocument({ data: pkg && serializePackage(pkg) });
  }

  @Post()
  @Allow(...CATALOG_WRITERS)
  @ApiOperation({ summary: 'Create a release (DRAFT unless status says PUBLISHED)' })
  @ApiDoc({ body: one('releases') })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateReleaseAttributes>) {
    return JsonApiDocument.created(serializeRelease(await this.releases.create(ctx, body)));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update name, description, tag, backdated or metadata' })
  @ApiDoc({ body: one('releases'), query: NARROWING })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Body(updateBody) body: ResourceBody<UpdateReleaseAttributes>) {
    return new JsonApiDocument({ data: serializeRelease(await this.releases.update(ctx, id, parseNarrowing(raw), body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a release and its artifacts' })
  @ApiDoc({ body: none, query: NARROWING })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw) {
    await this.releases.remove(ctx, id, parseNarrowing(raw));
  }

  @Post(':id/actions/publish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish a release' })
  @ApiDoc({ body: one('releases'), query: NARROWING })
  async publish(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw) {
    return new JsonApiDocument({ data: serializeRelease(await this.releases.publish(ctx, id, parseNarrowing(raw))) });
  }

  @Post(':id/actions/yank')
  @HttpCode(200)
  @ApiOperation({ summary: 'Yank a release' })
  @ApiDoc({ body: one('releases'), query: NARROWING })
  async yank(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw) {
    return new JsonApiDocument({ data: serializeRelease(await this.releases.yank(ctx, id, parseNarrowing(raw))) });
  }

  @Get(':id/constraints')
  @Public()
  @ApiOperation({ summary: "The release's constraints" })
  @ApiDoc({ body: list('constraints'), query: [...PAGE_PARAMETERS, ...NARROWING] })
  async listConstraints(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const { product, package: pkg, ...rest } = raw;
    const query = parseListQuery(rest);
    return listDocument(req, query, await this.constraints.list(ctx, id, parseNarrowing({ product, package: pkg }), query), serializeConstraint);
  }

  @Get(':id/constraints/:constraint')
  @Public()
  @ApiOperation({ summary: 'Show one constraint' })
  @ApiDoc({ body: one('constraints'), query: NARROWING })
  async showConstraint(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('constraint') constraint: string, @Query() raw: Raw) {
    return new JsonApiDocument({ data: serializeConstraint(await this.constraints.find(ctx, id, parseNarrowing(raw), constraint)) });
  }

  @Post(':id/constraints')
  @HttpCode(200)
  @ApiOperation({ summary: 'Attach entitlements as constraints' })
  @ApiDoc({ body: many('constraints'), query: NARROWING })
  async attach(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Body(new AttachConstraintsPipe()) refs: string[]) {
    return new JsonApiDocument({ data: (await this.constraints.attach(ctx, id, parseNarrowing(raw), refs)).map(serializeConstraint) });
  }

  @Delete(':id/constraints')
  @HttpCode(204)
  @ApiOperation({ summary: 'Detach constraints by id' })
  @ApiDoc({ body: none, query: NARROWING })
  async detach(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Body(new DetachConstraintsPipe()) ids: string[]) {
    await this.constraints.detach(ctx, id, parseNarrowing(raw), ids);
  }

  @Get(':id/entitlements')
  @Public()
  @ApiOperation({ summary: 'The entitlements the release requires' })
  @ApiDoc({ body: list('entitlements'), query: [...PAGE_PARAMETERS, ...NARROWING] })
  async entitlements(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const { product, package: pkg, ...rest } = raw;
    const query = parseListQuery(rest);
    return listDocument(req, query, await this.constraints.entitlements(ctx, id, parseNarrowing({ product, package: pkg }), query), serializeEntitlement);
  }
}
