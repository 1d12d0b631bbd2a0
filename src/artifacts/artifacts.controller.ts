import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { CATALOG_WRITERS } from '../auth/access/catalog.access.js';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { Errors } from '../common/errors.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { preferences } from '../common/prefer.js';
import { ResourceBodyPipe, type ResourceBody } from '../common/resource-body.js';
import type { Artifact } from '../database/entities/artifact.entity.js';
import { parseNarrowing } from '../releases/release-queries.js';
import { ArtifactTransfer } from './artifact-transfer.service.js';
import { serializeArtifact } from './artifact.serializer.js';
import { ARTIFACT_FILTERS, ARTIFACT_LOOKUP_FILTERS, ArtifactsService } from './artifacts.service.js';
import { CreateArtifactAttributes, UpdateArtifactAttributes } from './dto/artifact-attributes.js';

const createBody = new ResourceBodyPipe({
  type: 'artifacts',
  attributes: CreateArtifactAttributes,
  relationships: { release: { type: 'releases', required: true } },
});
const updateBody = new ResourceBodyPipe({ type: 'artifacts', attributes: UpdateArtifactAttributes, purpose: 'update' });
type Raw = Record<string, unknown>;

@AccountRoute('artifacts', 'artifacts')
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly transfer: ArtifactTransfer,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'List visible artifacts (filters: release, product, package, channel, status, filetype, platform, arch)' })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw, ARTIFACT_FILTERS);
    return listDocument(req, query, await this.artifacts.list(ctx, query), serializeArtifact);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'Download: 303 to a signed URL (Prefer: no-redirect → 200 with Location; no-download → 200, nothing counted)' })
  async download(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const artifact = await this.artifacts.find(ctx, id, parseListQuery(raw, ARTIFACT_LOOKUP_FILTERS));
    return this.downloadDocument(ctx, req, artifact);
  }

  @Get(':id/*filename')
  @Public()
  @ApiOperation({ summary: 'Vanity download URL for package managers' })
  async vanity(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('filename') filename: string[], @Req() req: Request) {
    const artifact = await this.artifacts.find(ctx, id);
    if (artifact.filename !== filename.join('/').normalize('NFC')) throw Errors.notFound('artifact');
    return this.downloadDocument(ctx, req, artifact);
  }

  @Post()
  @Allow(...CATALOG_WRITERS)
  @ApiOperation({ summary: 'Create an artifact: 307 to its signed upload URL (Prefer: no-redirect → 200)' })
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateArtifactAttributes>, @Query() raw: Raw, @Req() req: Request) {
    const artifact = await this.artifacts.create(ctx, body, parseNarrowing(raw));
    const status = preferences(req).has('no-redirect') ? 200 : 307;
    return new JsonApiDocument({ data: serializeArtifact(artifact) }, status, { Location: this.transfer.uploadUrl(req, artifact) });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update filesize, checksum, signature or metadata' })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdateArtifactAttributes>) {
    return new JsonApiDocument({ data: serializeArtifact(await this.artifacts.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an artifact and its bytes' })
  async remove(@Ctx() ctx: RequestContext, @Param('id') id: string) {
    await this.artifacts.remove(ctx, id);
  }

  private async downloadDocument(ctx: RequestContext, req: Request, artifact: Artifact): Promise<JsonApiDocument> {
    const prefer = preferences(req);
    if (prefer.has('no-download')) return new JsonApiDocument({ data: serializeArtifact(artifact) });
    // HEAD answers like GET but downloads nothing, so it counts nothing.
    const location = await this.transfer.downloadUrl(ctx, req, artifact, req.method !== 'HEAD');
    return new JsonApiDocument({ data: serializeArtifact(artifact) }, prefer.has('no-redirect') ? 200 : 303, { Location: location });
  }
}

@AccountRoute('releases', 'releases')
export class ReleaseArtifactsController {
  constructor(private readonly artifacts: ArtifactsService) {}

  @Get(':id/artifacts')
  @Public()
  @ApiOperation({ summary: "The release's visible artifacts" })
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const { product, package: pkg, ...rest } = raw;
    const query = parseListQuery(rest);
    return listDocument(req, query, await this.artifacts.listOfRelease(ctx, id, parseNarrowing({ product, package: pkg }), query), serializeArtifact);
  }
}
