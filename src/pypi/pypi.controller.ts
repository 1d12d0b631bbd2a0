import { Get, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Allow, Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { SimpleIndexService, type PypiResponse } from './simple-index.service.js';
import { PypiUploadService, type UploadOutcome } from './upload.service.js';
import { ApiDoc, none, type OperationDoc, type SuccessDoc } from '../openapi/operation.js';
import { PYPI_HTML, PYPI_JSON, TEXT_HTML } from './negotiation.js';
import { PYPI_INDEX_SCHEMA, PYPI_PROJECT_SCHEMA } from './simple-page.js';
import { UPLOAD_FORM_SCHEMA } from './upload-form.js';
import type { Schema } from '../openapi/schema.js';

const PAGE_HEADERS = { ETag: 'Strong; changes with any change to the page', 'Cache-Control': '`no-cache` (`private` when credentials were needed)', Vary: '`Accept`' };
const html: Schema = { type: 'string', description: 'PEP 503 HTML: one anchor per file, `#sha256=` fragments, data-requires-python, data-core-metadata, data-yanked' };
const page = (json: Schema): SuccessDoc => ({
  description: 'The page, by `Accept` (q-values) or `?format=`; HTML when nothing acceptable is asked for',
  headers: PAGE_HEADERS,
  body: { kind: 'raw', content: { [TEXT_HTML]: { schema: html, example: '<!DOCTYPE html>…' }, [PYPI_HTML]: { schema: html, example: '<!DOCTYPE html>…' }, [PYPI_JSON]: { schema: json } } },
});
const FORMAT = { name: 'format', description: `Overrides Accept: ${TEXT_HTML}, ${PYPI_HTML}, ${PYPI_JSON} (or a latest+ type)` };
const NORMALIZE: SuccessDoc = { description: 'The URL is not in normalized form or lacks its trailing slash: Location is the normalized URL', headers: { Location: 'The normalized URL' }, body: none };
const NOT_MODIFIED: SuccessDoc = { description: 'If-None-Match matched', body: none };
const INDEX_DOC: OperationDoc = {
  success: { 200: page(PYPI_INDEX_SCHEMA), 301: NORMALIZE, 304: NOT_MODIFIED },
  query: [FORMAT],
  errors: 'text',
  description: 'The canonical URL ends with `/simple/`. Never 401 for an anonymous caller (bad credentials still are).',
};
const PROJECT_DOC: OperationDoc = {
  success: {
    200: page(PYPI_PROJECT_SCHEMA),
    301: NORMALIZE,
    304: NOT_MODIFIED,
    307: { description: 'An unknown project: Location is the same project on PYPI_UPSTREAM_URL', headers: { Location: 'The upstream project page' }, body: none },
  },
  query: [FORMAT],
  errors: 'text',
  description: 'The canonical URL is `…/simple/{project}/`. Anonymous caller on a hidden project → 401 with `WWW-Authenticate: Basic`; authenticated → 403.',
};
const FILE_DOC: OperationDoc = {
  success: { 303: { description: 'Location is a signed, expiring download URL', headers: { Location: 'The signed download URL' }, body: none } },
  errors: 'text',
  description: 'The artifact’s access rules apply; a wrong sha256 → 404.',
};
const UPLOAD_DOC: OperationDoc = {
  success: {
    201: { description: '`Created`', headers: { Location: 'Not sent' }, body: { kind: 'raw', content: { 'text/plain': { schema: { type: 'string' }, example: 'Created\n' } } } },
    200: { description: 'The same file with the same bytes was already there: nothing changes', body: { kind: 'raw', content: { 'text/plain': { schema: { type: 'string' }, example: 'File already exists with the same bytes\n' } } } },
  },
  requestBody: { description: 'twine’s legacy upload form', content: { 'multipart/form-data': { schema: UPLOAD_FORM_SCHEMA } } },
  errors: 'text',
  errorStatuses: [409, 413],
  description: 'Errors are plain text with the message as the HTTP reason phrase (twine prints it): 409 `File already exists` or `File name has been used before`.',
};

export function writePypi(res: Response, answer: PypiResponse): void {
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
  @ApiDoc(INDEX_DOC)
  @ApiOperation({ summary: 'PEP 503/691 index of the projects with a file visible to the bearer (HTML or JSON by Accept)' })
  async projects(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response) {
    writePypi(res, await this.index.index(ctx, req, {}));
  }

  @Get('simple/:project')
  @Public()
  @ApiDoc(PROJECT_DOC)
  @ApiOperation({ summary: 'PEP 503/691 project page: every visible file (401/403 when hidden, 307 upstream when unknown)' })
  async project(@Ctx() ctx: RequestContext, @Param('project') project: string, @Req() req: Request, @Res() res: Response) {
    writePypi(res, await this.index.project(ctx, req, {}, project));
  }

  @Get('files/:sha256/*filename')
  @Public()
  @ApiDoc(FILE_DOC)
  @ApiOperation({ summary: 'GitLab-style file download by sha256: 303 to a signed URL, with the artifact’s access rules' })
  async file(@Ctx() ctx: RequestContext, @Param('sha256') sha256: string, @Param('filename') filename: string[], @Req() req: Request, @Res() res: Response) {
    writePypi(res, await this.index.file(ctx, req, {}, sha256, filename.join('/')));
  }

  @Post()
  @Allow('admin', 'developer', 'product')
  @ApiDoc(UPLOAD_DOC)
  @ApiOperation({ summary: "Upload a wheel or sdist with twine's legacy API (multipart/form-data: content, name, version, digests…)" })
  async upload(@Ctx() ctx: RequestContext, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req));
  }

  @Put()
  @Allow('admin', 'developer', 'product')
  @ApiDoc(UPLOAD_DOC)
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
  @ApiDoc(INDEX_DOC)
  @ApiOperation({ summary: "PEP 503/691 index of the product's projects with a file visible to the bearer" })
  async projects(@Ctx() ctx: RequestContext, @Param('product') product: string, @Req() req: Request, @Res() res: Response) {
    writePypi(res, await this.index.index(ctx, req, { productRef: product }));
  }

  @Get('simple/:project')
  @Public()
  @ApiDoc(PROJECT_DOC)
  @ApiOperation({ summary: "PEP 503/691 project page of one of the product's projects" })
  async project(@Ctx() ctx: RequestContext, @Param('product') product: string, @Param('project') project: string, @Req() req: Request, @Res() res: Response) {
    writePypi(res, await this.index.project(ctx, req, { productRef: product }, project));
  }

  @Get('files/:sha256/*filename')
  @Public()
  @ApiDoc(FILE_DOC)
  @ApiOperation({ summary: "GitLab-style file download by sha256 within the product's projects" })
  async file(@Ctx() ctx: RequestContext, @Param('product') product: string, @Param('sha256') sha256: string, @Param('filename') filename: string[], @Req() req: Request, @Res() res: Response) {
    writePypi(res, await this.index.file(ctx, req, { productRef: product }, sha256, filename.join('/')));
  }

  @Post()
  @Allow('admin', 'developer', 'product')
  @ApiDoc(UPLOAD_DOC)
  @ApiOperation({ summary: "Upload into one of the product's projects (a new project joins this product)" })
  async upload(@Ctx() ctx: RequestContext, @Param('product') product: string, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req, product));
  }

  @Put()
  @Allow('admin', 'developer', 'product')
  @ApiDoc(UPLOAD_DOC)
  @ApiOperation({ summary: 'Upload into one of the product’s projects, as GitLab lists it' })
  async uploadPut(@Ctx() ctx: RequestContext, @Param('product') product: string, @Req() req: Request, @Res() res: Response) {
    uploaded(res, await this.uploads.upload(ctx, req, product));
  }
}
