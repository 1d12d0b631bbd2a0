import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { ArtifactTransfer } from '../artifacts/artifact-transfer.service.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { answerScope } from '../auth/access/answer-cache.js';
import type { RequestContext } from '../auth/decorators.js';
import { noneMatch } from '../common/conditional.js';
import { SerialCache } from '../database/change-serials.js';
import { DomainError, Errors } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Package } from '../database/entities/package.entity.js';
import { PackagesService } from '../products/packages.service.js';
import { ProductsService } from '../products/products.service.js';
import { SignedUrls } from '../storage/signed-urls.js';
import { negotiatePage } from './negotiation.js';
import { pep440OfSemver } from './pep440.js';
import { indexProjects, projectFiles } from './simple-queries.js';
import { renderIndex, renderProject, type PageFile, type RenderedPage } from './simple-page.js';

/** An answer of the PyPI routes, written as is by the controllers. */
export interface PypiResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** Where a request reads: the whole account, or one product (`/products/{product}/engines/pypi`). */
export interface IndexScope {
  productRef?: string;
}

interface FileRow {
  id: string;
  filename: string;
  sha256: string;
  size: string;
  created: Date;
  version: string;
  status: string;
  requires_python: string | null;
  metadata_sha256: string | null;
}

/**
 * The simple repository API (SPEC §6.1): the project index, project pages and the GitLab-style
 * file route. What a bearer sees comes from the core's visible-artifact scope only; the package
 * lookups beside it tell hidden projects (401/403) from unknown ones (upstream or 404).
 */
/** Changes whenever the rendering itself changes, so that instances of two releases never share an ETag for different bytes. */
const RENDERING = 'pages-1';

@Injectable()
export class SimpleIndexService {
  /**
   * Rendered pages and indexes, each kept under the change serials it was rendered from (the
   * package's own serial and the account's `auth` serial for a project page; the account's
   * `catalog` and `auth` serials for an index) and for one bearer scope, type and origin. A
   * write anywhere moves the serial in its own transaction, so every instance renders again on
   * the next request sent after the write's answer; until then a page costs the lookups that
   * read the serials.
   */
  private readonly pages = new SerialCache<RenderedPage>(5_000, { maxSize: 128 * 1024 * 1024, size: (page) => page.body.length + 256 });
  /**
   * The same pages by request (bearer scope, name as asked, type, route, origin), under the
   * account's `catalog` and `auth` serials, which move with every write the package's own serial
   * moves with and more: while they stand, a page costs no query beyond the account's. When they
   * move, the package's serial decides whether the page is rendered again.
   */
  private readonly recent = new SerialCache<RenderedPage>(10_000, { maxSize: 128 * 1024 * 1024, size: (page) => page.body.length + 256 });

  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly transfer: ArtifactTransfer,
    private readonly packages: PackagesService,
    private readonly products: ProductsService,
    private readonly urls: SignedUrls,
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Projects with at least one visible file; never 401 for an anonymous caller. */
  async index(ctx: RequestContext, req: Request, scope: IndexScope): Promise<PypiResponse> {
    const type = negotiatePage(req.headers.accept, req.query.format);
    const variant = this.variant(ctx, ['index', type, scope.productRef ?? null]);
    const serial = ctx.serials && `${ctx.serials.catalog}:${ctx.serials.auth}`;
    if (variant === null || !serial) return page(req, await this.renderIndex(ctx, type, scope));
    // Only what this instance rendered for this view answers a 304: an ETag names no permission.
    const rendered =
      this.pages.get(variant.key, serial) ??
      this.pages.set(variant.key, serial, { ...(await this.renderIndex(ctx, type, scope)), etag: `"${variant.tag()}.${serial.replace(':', '.')}"` });
    return page(req, rendered);
  }

  private async renderIndex(ctx: RequestContext, type: ReturnType<typeof negotiatePage>, scope: IndexScope): Promise<RenderedPage> {
    let productId: string | undefined;
    if (scope.productRef !== undefined) {
      const product = await this.products.findVisible(ctx, scope.productRef);
      if (!product) throw Errors.notFound('product');
      productId = product.id;
    }
    const qb = indexProjects(this.db.manager, ctx, productId);
    const rows = await qb.getRawMany<{ key: string }>();
    return renderIndex(type, rows.map((row) => row.key));
  }

  async project(ctx: RequestContext, req: Request, scope: IndexScope, name: string): Promise<PypiResponse> {
    const type = negotiatePage(req.headers.accept, req.query.format);
    const origin = this.urls.origin(req);
    const asked = this.variant(ctx, ['asked', type, scope.productRef ?? null, origin, name]);
    const accountSerial = ctx.serials && `${ctx.serials.catalog}:${ctx.serials.auth}`;
    const recent = asked && accountSerial ? this.recent.get(asked.key, accountSerial) : undefined;
    if (recent) return page(req, recent);
    const rendered = await this.projectPage(ctx, req, scope, name, type, origin);
    if ('status' in rendered) return rendered;
    if (asked && accountSerial && rendered.cacheable) this.recent.set(asked.key, accountSerial, rendered.page);
    return page(req, rendered.page);
  }

  private async projectPage(
    ctx: RequestContext,
    req: Request,
    scope: IndexScope,
    name: string,
    type: ReturnType<typeof negotiatePage>,
    origin: string,
  ): Promise<PypiResponse | { page: RenderedPage; cacheable: boolean }> {
    const found = await this.packages.existingWithSerial(ctx, name);
    if (!found) return this.unknown(ctx, req, scope, name);
    const { pkg, serial: packageSerial } = found;
    if (pkg.engine !== 'pypi') throw Errors.notFound('project');
    const variant = this.variant(ctx, ['project', type, scope.productRef ?? null, origin, pkg.id]);
    const serial = ctx.serials && `${packageSerial}:${ctx.serials.auth}`;
    const cached = variant && serial ? this.pages.get(variant.key, serial) : undefined;
    if (cached) return { page: cached, cacheable: true };
    const etag = variant && serial ? `"${variant.tag()}.${serial.replace(':', '.')}"` : null;
    // Not cached here yet: checked in full (a product in the URL, visibility), then rendered once.
    if (scope.productRef !== undefined && pkg.productId !== (await this.products.idOf(ctx, scope.productRef))) throw Errors.notFound('project');
    const files = await this.files(ctx, origin, pkg);
    if (files.length === 0) {
      const { visible, hasFiles } = await this.packages.exposure(ctx, pkg);
      if (!visible || hasFiles) throw hidden(ctx);
    }
    const rendered = renderProject(type, pkg.key, files, etag ?? undefined);
    if (!variant || !serial || !etag) return { page: rendered, cacheable: false };
    return { page: this.pages.set(variant.key, serial, rendered), cacheable: true };
  }

  /**
   * The cache key of a page for this bearer's scope, and the ETag's stable part: a digest, so
   * that no bearer's id shows in a header (computed only to render). Null when the bearer's view
   * is not cached.
   */
  private variant(ctx: RequestContext, parts: unknown[]): { key: string; tag: () => string } | null {
    const scope = answerScope(ctx);
    if (scope === null) return null;
    const key = `${scope}|${JSON.stringify(parts)}`;
    return { key, tag: () => createHash('sha256').update(`${RENDERING}|${key}`).digest('base64url').slice(0, 22) };
  }

  /** GitLab's `files/{sha256}/{filename}`: the artifact's own access rules; a sha256 is no credential. */
  async file(ctx: RequestContext, req: Request, scope: IndexScope, sha256: string, filename: string): Promise<PypiResponse> {
    if (!/^[0-9a-f]{64}$/i.test(sha256)) throw Errors.notFound('file');
    const qb = this.artifacts
      .visibleArtifacts(ctx)
      .innerJoin(Package, 'pkg', 'pkg.id = ar.package_id')
      .andWhere(`pkg.engine = 'pypi' AND a.status = 'UPLOADED' AND a.sha256 = :sha256 AND a.filename = :filename`, { sha256: sha256.toLowerCase(), filename });
    if (scope.productRef !== undefined) {
      const productId = await this.products.idOf(ctx, scope.productRef);
      if (!productId) throw Errors.notFound('file');
      qb.andWhere('pkg.product_id = :fileProduct', { fileProduct: productId });
    }
    const artifact = await qb.orderBy('ar.sort_key', 'DESC').limit(1).getOne();
    if (!artifact) throw Errors.notFound('file');
    // HEAD answers like GET but downloads nothing, so it counts nothing.
    const location = await this.transfer.downloadUrl(ctx, req, artifact, req.method !== 'HEAD');
    // A file of a yanked release is downloadable by nobody (SPEC §3.5).
    if (!location) throw Errors.notFound('file');
    return { status: 303, headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'See Other\n' };
  }

  /** An unknown project goes to the upstream index (SPEC §6.1), unless the product in the URL is unknown too. */
  private async unknown(ctx: RequestContext, req: Request, scope: IndexScope, name: string): Promise<PypiResponse> {
    if (scope.productRef !== undefined && !(await this.products.idOf(ctx, scope.productRef))) throw Errors.notFound('product');
    if (!this.config.pypiUpstreamUrl) throw Errors.notFound('project');
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    const location = `${this.config.pypiUpstreamUrl}/${encodeURIComponent(name)}/${query}`;
    return { status: 307, headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' }, body: 'Temporary Redirect\n' };
  }

  /** Every visible file of the project, in version order: one query that reads the project's own releases and files only. */
  private async files(ctx: RequestContext, origin: string, pkg: Package): Promise<PageFile[]> {
    const rows = await projectFiles(this.db.manager, ctx, pkg.id).getRawMany<FileRow>();
    const base = `${origin}/v1/accounts/${ctx.account.id}/artifacts`;
    const versions = new Map<string, string | null>();
    return rows.map((row) => {
      if (!versions.has(row.version)) versions.set(row.version, pep440OfSemver(row.version));
      return {
        filename: row.filename,
        url: `${base}/${row.id}/${row.filename.split('/').map(encodeURIComponent).join('/')}`,
        sha256: row.sha256,
        size: Number(row.size),
        uploadTime: new Date(row.created),
        requiresPython: row.requires_python,
        metadataSha256: row.metadata_sha256,
        yanked: row.status === 'YANKED',
        version: versions.get(row.version) ?? null,
      };
    });
  }
}

/** The project exists but the bearer sees none of it: anonymous callers are asked for credentials (pip sends them only then). */
function hidden(ctx: RequestContext): DomainError {
  return ctx.bearer.kind === 'anonymous'
    ? new DomainError(401, 'TOKEN_MISSING', 'Authentication is required to read this project')
    : Errors.forbidden('This bearer may not read this project');
}

/**
 * A page with its validators, 304 when the client has them. The strong ETag names the change
 * serials the page was rendered from and the bearer's view (cached pages), else it is a digest
 * of the bytes: either way, different bytes never share one.
 */
function page(req: Request, rendered: RenderedPage): PypiResponse {
  const headers = {
    'Content-Type': rendered.type === 'text/html' ? 'text/html; charset=utf-8' : rendered.type,
    ETag: rendered.etag,
    Vary: 'Accept',
    'Cache-Control': req.headers.authorization ? 'private, no-cache' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  };
  if (!noneMatch(req.headers['if-none-match'], rendered.etag)) return { status: 304, headers, body: '' };
  return { status: 200, headers, body: rendered.body };
}
