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
import { ApiDoc, list, none, one, type OperationDoc, type SuccessDoc } from '../openapi/operation.js';
import { ref } from '../openapi/schema.js';
import { JSONAPI } from '../common/media-type.js';
import { filterParameters, listParameters, NARROWING, PAGE_PARAMETERS } from '../openapi/parameters.js';

const createBody = new ResourceBodyPipe({
  type: 'artifacts',
  attributes: CreateArtifactAttributes,
  relationships: { release: { type: 'releases', required: true } },
});
const updateBody = new ResourceBodyPipe({ type: 'artifacts', attributes: UpdateArtifactAttributes, purpose: 'update' });
type Raw = Record<string, unknown>;

const DOWNLOAD_ANSWERS: Record<number, SuccessDoc> = {
  303: { description: 'A downloadable artifact: Location is a signed, expiring download URL (the artifact document is the body)', body: one('artifacts'), headers: { Location: 'The signed download URL' } },
  200: {
    description: 'With `Prefer: no-redirect` (Location set) or `Prefer: no-download` (no URL, nothing counted); or, for staff and the owning product, an artifact nobody may download (no Location)',
    body: one('artifacts'),
    headers: { Location: 'The signed download URL (Prefer: no-redirect)' },
  },
};
const DOWNLOAD_DOC: OperationDoc = { success: DOWNLOAD_ANSWERS, query: filterParameters(ARTIFACT_LOOKUP_FILTERS), prefer: ['no-redirect', 'no-download'] };
const VANITY_DOC: OperationDoc = {
  success: {
    ...DOWNLOAD_ANSWERS,
    200: {
      description: `${DOWNLOAD_ANSWERS[200].description}; for \`{filename}.metadata\`, a wheel's core metadata file (PEP 658), with an ETag`,
      body: {
        kind: 'raw',
        content: {
          [JSONAPI]: { schema: ref('ArtifactDocument') },
          'application/json': { schema: ref('ArtifactDocument') },
          'text/plain': { schema: { type: 'string', description: 'The METADATA file' }, example: 'Metadata-Version: 2.1\nName: app\nVersion: 1.0.0\n' },
        },
      },
    },
    304: { description: 'The metadata file has not changed (If-None-Match)', body: none },
  },
  prefer: ['no-redirect', 'no-download'],
};
const CREATE_DOC: OperationDoc = {
  success: {
    307: { description: 'Created as WAITING: PUT the bytes to Location, a signed upload URL that expires (SIGNED_URL_TTL_SECONDS)', body: one('artifacts'), headers: { Location: 'The signed upload URL' } },
    200: { description: 'The same with `Prefer: no-redirect`', body: one('artifacts'), headers: { Location: 'The signed upload URL' } },
  },
  query: NARROWING,
  prefer: ['no-redirect'],
  errorStatuses: [409],
};

@AccountRoute('artifacts', 'artifacts')
export class ArtifactsController {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly transfer: ArtifactTransfer,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'List visible artifacts (filters: release, product, package, channel, status, filetype, platform, arch)' })
  @ApiDoc({ body: list('artifacts'), query: listParameters('artifacts', ARTIFACT_FILTERS) })
  async list(@Ctx() ctx: RequestContext, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw, ARTIFACT_FILTERS);
    return listDocument(req, query, await this.artifacts.list(ctx, query), serializeArtifact);
  }

  @Get(':id')
  @Public()
  @ApiOperation({ summary: 'Download: 303 to a signed URL (Prefer: no-redirect → 200 with Location; no-download → 200, nothing counted); 200 without Location when not downloadable' })
  @ApiDoc(DOWNLOAD_DOC)
  async download(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const artifact = await this.artifacts.find(ctx, id, parseListQuery(raw, ARTIFACT_LOOKUP_FILTERS));
    return this.downloadDocument(ctx, req, artifact);
  }

  @Get(':id/*filename')
  @Public()
  @ApiOperation({ summary: "Vanity download URL for package managers; `{filename}.metadata` serves a wheel's core metadata (PEP 658)" })
  @ApiDoc(VANITY_DOC)
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
  @ApiDoc(CREATE_DOC)
  async create(@Ctx() ctx: RequestContext, @Body(createBody) body: ResourceBody<CreateArtifactAttributes>, @Query() raw: Raw, @Req() req: Request) {
    const artifact = await this.artifacts.create(ctx, body, parseNarrowing(raw));
    const status = preferences(req).has('no-redirect') ? 200 : 307;
    return new JsonApiDocument({ data: serializeArtifact(artifact) }, status, { Location: this.transfer.uploadUrl(req, artifact) });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update filesize, checksum, signature or metadata' })
  @ApiDoc({ body: one('artifacts') })
  async update(@Ctx() ctx: RequestContext, @Param('id') id: string, @Body(updateBody) body: ResourceBody<UpdateArtifactAttributes>) {
    return new JsonApiDocument({ data: serializeArtifact(await this.artifacts.update(ctx, id, body)) });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an artifact and its bytes' })
  @ApiDoc({ body: none })
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
  @ApiDoc({ body: list('artifacts'), query: [...PAGE_PARAMETERS, ...NARROWING] })
  async list(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    const { product, package: pkg, ...rest } = raw;
    const query = parseListQuery(rest);
    return listDocument(req, query, await this.artifacts.listOfRelease(ctx, id, parseNarrowing({ product, package: pkg }), query), serializeArtifact);
  }
}
