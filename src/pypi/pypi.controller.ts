import { Get, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { SimpleIndexService, type PypiResponse } from './simple-index.service.js';
import { PypiUploadService, type UploadOutcome } from './upload.service.js';

function send(res: Response, answer: PypiResponse): void {
  res.status(answer.status).set(answer.headers).send(answer.body);
}

function uploaded(res: Response, outcome: UploadOutcome): void {
  res.status(outcome.status).type('text/plain; charset=utf-8').send(outcome.status === 201 ? 'Created\n' : 'File already exists with the same bytes\n');
}

/** The account-level index and upload URL (SPEC §6.1). Errors are plain text (see PypiPathMiddleware). */
@AccountRoute('engines/pypi', 'pypi')
export class PypiController {
  constructor(
    private readonly index: SimpleIndexService,
    private readonly uploads: PypiUploadService,
  ) {}

  @Get('simple')
  @Public()
  @ApiOperation({ summary: 'PEP 503/691 index of the projects with a file visible to the bearer (HTML or JSON by Accept)' })
  async projects(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response) {
    send(res, await this.index.index(ctx, req, {}));
  }

  @Get('simple/:project')
  @Public()
  @ApiOperation({ summary: 'PEP 503/691 project page: every visible file (401/403 when hidden, 307 upstream when unknown)' })
  async project(@Ctx() ctx: RequestContext, @Param('project') project: string, @Req() req: Request, @Res() res: Response) {
    send(res, await this.index.project(ctx, req, {}, project));
  }

  @Get('files/:sha256/*filename')
  @Public()
  @ApiOperation({ summary: 'GitLab-style file download by sha256: 303 to a signed URL, with the artifact’s access rules' })
  async file(@Ctx() ctx: RequestContext, @Param('sha256') sha256: string, @Param('filename') filename: string[], @Req() req: Request, @Res() res: Response) {
    send(res, await this.index.file(ctx, req, {}, sha256, filename.join('/')));
  }

  @Post()
  @Allow('admin', 'developer', 'product')
  @ApiOperation({ summary: "Upload a wheel or sdist with twine's legacy API (multipart/form-data: content, name, version, digests…)" })
  async upload(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req));
  }

  @Put()
  @Allow('admin', 'developer', 'product')
  @ApiOperation({ summary: 'Upload, as GitLab lists it (the same form as POST)' })
  async uploadPut(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req));
  }
}

/** The same, restricted to one product's packages (GitLab's project-level index). */
@AccountRoute('products/:product/engines/pypi', 'pypi')
@ApiParam({ name: 'product', description: 'The product id or code' })
export class ProductPypiController {
  constructor(
    private readonly index: SimpleIndexService,
    private readonly uploads: PypiUploadService,
  ) {}

  @Get('simple')
  @Public()
  @ApiOperation({ summary: "PEP 503/691 index of the product's projects with a file visible to the bearer" })
  async projects(@Ctx() ctx: RequestContext, @Param('product') product: string, @Req() req: Request, @Res() res: Response) {
    send(res, await this.index.index(ctx, req, { productRef: product }));
  }

  @Get('simple/:project')
  @Public()
  @ApiOperation({ summary: "PEP 503/691 project page of one of the product's projects" })
  async project(@Ctx() ctx: RequestContext, @Param('product') product: string, @Param('project') project: string, @Req() req: Request, @Res() res: Response) {
    send(res, await this.index.project(ctx, req, { productRef: product }, project));
  }

  @Get('files/:sha256/*filename')
  @Public()
  @ApiOperation({ summary: "GitLab-style file download by sha256 within the product's projects" })
  async file(@Ctx() ctx: RequestContext, @Param('product') product: string, @Param('sha256') sha256: string, @Param('filename') filename: string[], @Req() req: Request, @Res() res: Response) {
    send(res, await this.index.file(ctx, req, { productRef: product }, sha256, filename.join('/')));
  }

  @Post()
  @Allow('admin', 'developer', 'product')
  @ApiOperation({ summary: "Upload into one of the product's projects (a new project joins this product)" })
  async upload(@Ctx() ctx: RequestContext, @Param('product') product: string, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req, product));
  }

  @Put()
  @Allow('admin', 'developer', 'product')
  @ApiOperation({ summary: 'Upload into one of the product’s projects, as GitLab lists it' })
  async uploadPut(@Ctx() ctx: RequestContext, @Param('product') product: string, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req, product));
  }
}
