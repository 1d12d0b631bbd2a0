import { Delete, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation } from '@nestjs/swagger';
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

type Params = Record<string, string>;
type Raw = Record<string, unknown>;

/** Gitea's generic package registry (SPEC §6.3); `curl --upload-file` is the client. */
@AccountRoute('engines/generic', 'generic')
export class GenericController {
  constructor(private readonly generic: GenericService) {}

  @Put(':package/:version/:filename')
  // Never read by a bearer that may not write: the body is the upload (SPEC §4).
  @Allow('admin', 'developer', 'product')
  @ApiConsumes('application/octet-stream', 'multipart/form-data')
  @ApiBody({ schema: { type: 'string', format: 'binary' }, description: 'The file: the raw body whatever its Content-Type, or the first file part of a form' })
  @ApiOperation({ summary: 'Publish a file (201); the package (?product= or the product token names its product) and the version are created as needed' })
  async publish(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request) {
    return JsonApiDocument.created(serializeArtifact(await this.generic.publish(ctx, filePath(params), productParameter(raw), uploadBody(req))));
  }

  @Get(':package/:version/:filename')
  @Public()
  @ApiOperation({ summary: 'Download a file: the bytes (ranges, ETag), or a 303 to a presigned URL with object storage' })
  async download(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request, @Res() res: Response) {
    await this.generic.download(ctx, filePath(params, raw), req, res);
  }

  @Delete(':package/:version/:filename')
  @HttpCode(204)
  @ApiOperation({ summary: "Delete a file; deleting a version's last file deletes the version" })
  async removeFile(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw) {
    await this.generic.removeFile(ctx, filePath(params, raw));
  }

  @Get(':package/:version')
  @Public()
  @ApiOperation({ summary: "The version's visible files" })
  async files(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.generic.files(ctx, versionPath(params), query), serializeArtifact);
  }

  @Delete(':package/:version')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a version and all its files' })
  async removeVersion(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw) {
    await this.generic.removeVersion(ctx, versionPath(params, raw));
  }

  @Get(':package')
  @Public()
  @ApiOperation({ summary: "The package's visible versions" })
  async versions(@Ctx() ctx: RequestContext, @Param() params: Params, @Query() raw: Raw, @Req() req: Request) {
    const query = parseListQuery(raw);
    return listDocument(req, query, await this.generic.versions(ctx, packagePath(params), query), serializeRelease);
  }
}
