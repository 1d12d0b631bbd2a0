import { Controller, Get, Param, Put, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { JsonApiDocument } from '../common/jsonapi.js';
import { ArtifactTransfer } from './artifact-transfer.service.js';
import { serializeArtifact } from './artifact.serializer.js';

/** The signed URLs: no bearer credential, only the signature (SPEC §3.5). */
@ApiExcludeController()
@Controller('storage')
export class StorageController {
  constructor(private readonly transfer: ArtifactTransfer) {}

  @Put('uploads/:accountId/:artifactId')
  async upload(@Param('accountId') accountId: string, @Param('artifactId') artifactId: string, @Req() req: Request) {
    return new JsonApiDocument({ data: serializeArtifact(await this.transfer.receive(accountId, artifactId, req)) });
  }

  @Get('downloads/:accountId/:artifactId/:name')
  async download(@Param('accountId') accountId: string, @Param('artifactId') artifactId: string, @Req() req: Request, @Res() res: Response) {
    await this.transfer.serve(accountId, artifactId, req, res);
  }
}
