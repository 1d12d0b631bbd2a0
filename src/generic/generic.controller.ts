import { Delete, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { serializeArtifact } from '../artifacts/artifact.serializer.js';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { listDocument, parseListQuery } from '../common/list-query.js';
import { serializeRelease } from '../releases/release.serializer.js';
import { filePath, packagePath, productParameter, versionPath } from './generic-path.js';
import { GenericService } from './generic.service.js';
import { uploadBody } from './upload-body.js';
import { ApiDoc, list, none, one, type QueryDoc } from '../openapi/operation.js';
import { PAGE_PARAMETERS } from '../openapi/parameters.js';

type Params = Record<string, string>;
type Raw = Record<string, unknown>;

const PRODUCT: QueryDoc = { name: 'product', description: 'The product id or code of a new package (a product token names its own)' };
const FILE_HEADERS = {
  'Content-Length': 'The size in bytes',
  ETag: 'The sha256, quoted',
  'Accept-Ranges': '`bytes`',
  'Content-Disposition': '`attachment` with the filename',
};

/** Gitea's generic package registry (SPEC §6.3); `curl --upload-file` is the client. */
@AccountRoute('engines/generic', 'generic')
export class GenericController {
  constructor(private readonly generic: GenericService) {}

  @Put(':package/:version/:filename')
  // Never read by a bearer that may not write: the body is the upload (SPEC §4).
  @Allow('admin', 'developer', 'product')
  @ApiDoc({
    success: { 201: { description: 'Published: the artifact document', body: one('artifacts') } },
    query: [PRODUCT],
    requestBody: {
      description: 'The file: the raw body whatever its Content-Type, or the first file part of a form',
      content: {
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
        'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } },
      },
    },
    errorStatuses: [409, 413],
    description: 'A filename that exists in that version → 409; nothing is overwritten.',
  })
  @ApiOperation({ summary: 'Publish a file (201); the package (?product= or the product token names its product) and the version are created as needed' })
  async publish(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request) {
    return JsonApiDocument.created(serializeArtifact(await this.generic.publish(ctx, filePath(params), productParameter(raw), uploadBody(req))));
  }

  @Get(':package/:version/:filename')
  @Public()
  @ApiDoc({
    success: {
      200: { description: 'The bytes', headers: FILE_HEADERS, body: { kind: 'raw', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
      206: { description: 'A single or suffix Range', headers: { ...FILE_HEADERS, 'Content-Range': 'The range sent' }, body: { kind: 'raw', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
      303: { description: 'With object storage: Location is a presigned URL of the store', headers: { Location: 'The presigned URL' }, body: none },
      304: { description: 'If-None-Match matched the ETag', body: none },
    },
    errorStatuses: [416],
    description: 'An anonymous read of a file that exists but is not open answers 401 with `WWW-Authenticate: Basic`.',
  })
  @ApiOperation({ summary: 'Download a file: the bytes (ranges, ETag), or a 303 to a presigned URL with object storage' })
  async download(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request, @Res() res: Response) {
    await this.generic.download(ctx, filePath(params, raw), req, res);
  }

  @Delete(':package/:version/:filename')
  @HttpCode(204)
  @ApiDoc({ body: none })
  @ApiOperation({ summary: "Delete a file; deleting a version's last file deletes the version" })
  async removeFile(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw) {
    await this.generic.removeFile(ctx, filePath(params, raw));
  }

  @Get(':package/:version')
  @Public()
  @ApiDoc({ body: list('artifacts'), query: PAGE_PARAMETERS })
  @ApiOperation({ summary: "The version's visible files" })
  async files(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.generic.files(ctx, versionPath(params), query), serializeArtifact);
  }

  @Delete(':package/:version')
  @HttpCode(204)
  @ApiDoc({ body: none })
  @ApiOperation({ summary: 'Delete a version and all its files' })
  async removeVersion(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw) {
    await this.generic.removeVersion(ctx, versionPath(params, raw));
  }

  @Get(':package')
  @Public()
  @ApiDoc({ body: list('releases'), query: PAGE_PARAMETERS })
  @ApiOperation({ summary: "The package's visible versions" })
  async versions(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.generic.versions(ctx, packagePath(params), query), serializeRelease);
  }
}
