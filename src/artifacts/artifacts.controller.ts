import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CATALOG_WRITERS } from '../auth/access/catalog.access.js';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { noneMatch } from '../common/conditional.js';
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
  @ApiOperation({ summary: 'Download: 303 to a signed URL (Prefer: no-redirect → 200 with Location; no-download → 200, nothing counted); 200 without Location when not downloadable' })
  async download(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const artifact = await this.artifacts.find(ctx, id, parseListQuery(raw, ARTIFACT_LOOKUP_FILTERS));
    return this.downloadDocument(ctx, req, artifact);
  }

  @Get(':id/*filename')
  @Public()
  @ApiOperation({ summary: "Vanity download URL for package managers; `{filename}.metadata` serves a wheel's core metadata (PEP 658)" })
  async vanity(@Ctx() ctx: RequestContext, @Param('id') id: string, @Param('filename') filename: string[], @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const artifact = await this.artifacts.find(ctx, id);
    const path = filename.join('/').normalize('NFC');
    if (path === `${artifact.filename}.metadata`) return this.coreMetadata(req, res, await this.transfer.coreMetadata(artifact));
    if (artifact.filename !== path) throw Errors.notFound('artifact');
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

  /** The metadata file as PEP 658 asks: its bytes exactly, the sha256 of the page's hash as ETag. */
  private coreMetadata(req: Request, res: Response, metadata: { content: Buffer; sha256: string }): StreamableFile | undefined {
    const etag = `"${metadata.sha256}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!noneMatch(req.headers['if-none-match'], etag)) {
      res.status(304);
      return undefined;
    }
    return new StreamableFile(metadata.content, { type: 'text/plain; charset=utf-8', length: metadata.content.length });
  }

  private async downloadDocument(ctx: RequestContext, req: Request, artifact: Artifact): Promise<JsonApiDocument> {
    const prefer = preferences(req);
    if (prefer.has('no-download')) return new JsonApiDocument({ data: serializeArtifact(artifact) });
    // HEAD answers like GET but downloads nothing, so it counts nothing.
    const location = await this.transfer.downloadUrl(ctx, req, artifact, req.method !== 'HEAD');
    if (location === null) return new JsonApiDocument({ data: serializeArtifact(artifact) });
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
