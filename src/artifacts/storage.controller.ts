import { Controller, Get, Param, Put, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { JsonApiDocument } from '../common/jsonapi.js';
import { ArtifactTransfer } from './artifact-transfer.service.js';
import { serializeArtifact } from './artifact.serializer.js';
import { ApiDoc, none, one, type QueryDoc } from '../openapi/operation.js';

const SIGNED: QueryDoc[] = [
  { name: 'expires', description: 'Epoch seconds, as issued', required: true },
  { name: 'signature', description: 'HMAC-SHA256, hex, as issued', required: true },
];
const BYTES = { kind: 'raw', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } as const;
const FILE_HEADERS = { 'Content-Length': 'The size in bytes', ETag: 'The sha256, quoted', 'Accept-Ranges': '`bytes`', 'Content-Disposition': '`attachment`' };

/** The signed URLs: no bearer credential, only the signature (SPEC §3.5). */
@ApiTags('artifacts')
@Controller('storage')
export class StorageController {
  constructor(private readonly transfer: ArtifactTransfer) {}

  @Put('uploads/:accountId/:artifactId')
  @ApiOperation({ summary: 'The signed upload URL of POST /artifacts: PUT the bytes; the artifact becomes UPLOADED once they are durable and verified' })
  @ApiDoc({
    success: { 200: { description: 'Uploaded: the artifact document', body: one('artifacts') } },
    query: SIGNED,
    requestBody: { description: 'The file’s bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
    errorStatuses: [409, 413, 422],
    description: 'No credentials: the signature is the authorization. An expired or wrong signature → 403; a checksum or filesize mismatch → 422 and the artifact is FAILED.',
  })
  async upload(@Param('accountId') accountId: string, @Param('artifactId') artifactId: string, @Req() req: Request) {
    return new JsonApiDocument({ data: serializeArtifact(await this.transfer.receive(accountId, artifactId, req)) });
  }

  @Get('downloads/:accountId/:artifactId/:name')
  @ApiOperation({ summary: 'The signed download URL an artifact download redirects to' })
  @ApiDoc({
    success: {
      200: { description: 'The bytes', headers: FILE_HEADERS, body: BYTES },
      206: { description: 'A single or suffix Range', headers: { ...FILE_HEADERS, 'Content-Range': 'The range sent' }, body: BYTES },
      304: { description: 'If-None-Match matched the ETag', body: none },
    },
    query: SIGNED,
    errorStatuses: [416],
    description: 'No credentials: the signature is the authorization (it works after a cross-host redirect). An expired or wrong signature → 403.',
  })
  async download(@Param('accountId') accountId: string, @Param('artifactId') artifactId: string, @Req() req: Request, @Res() res: Response) {
    await this.transfer.serve(accountId, artifactId, req, res);
  }
}
