import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { ArtifactTransfer } from '../artifacts/artifact-transfer.service.js';
import { ArtifactsService } from '../artifacts/artifacts.service.js';
import { PublishService } from '../artifacts/publish.service.js';
import type { RequestContext } from '../auth/decorators.js';
import { DomainError, Errors } from '../common/errors.js';
import type { ListQuery } from '../common/list-query.js';
import type { Artifact } from '../database/entities/artifact.entity.js';
import type { Package } from '../database/entities/package.entity.js';
import type { Release } from '../database/entities/release.entity.js';
import { PackagesService } from '../products/packages.service.js';
import { findPackageVersion } from '../releases/release-queries.js';
import { ReleasesService } from '../releases/releases.service.js';
import type { FilePath, PackagePath, VersionPath } from './generic-path.js';
import type { UploadBody } from './upload-body.js';

/**
 * Gitea's generic package registry over the core (SPEC §6.3): paths name a package, a version
 * and a file; publishing, visibility, downloads and deletes are the core's use cases.
 */
@Injectable()
export class GenericService {
  constructor(
    private readonly db: DataSource,
    private readonly publisher: PublishService,
    private readonly transfer: ArtifactTransfer,
    private readonly artifacts: ArtifactsService,
    private readonly releases: ReleasesService,
    private readonly packages: PackagesService,
  ) {}

  /** PUT: a new file in the version; the package and the version are created as needed. */
  async publish(ctx: RequestContext, path: FilePath, product: string | undefined, body: UploadBody): Promise<Artifact> {
    const published = await this.publisher.publish(ctx, {
      engine: 'generic',
      packageKey: path.package,
      version: path.version,
      filename: path.filename,
      productRef: product,
      ...body,
      // Gitea's rule: a file is never replaced; delete the version first.
      duplicates: 'conflict',
      keepFilenames: false,
    });
    return published.artifact;
  }

  async download(ctx: RequestContext, path: FilePath, req: Request, res: Response): Promise<void> {
    await this.transfer.deliver(ctx, req, res, await this.file(ctx, path));
  }

  /** Deleting a version's last file deletes the version (Gitea). */
  async removeFile(ctx: RequestContext, path: FilePath): Promise<void> {
    await this.artifacts.remove(ctx, (await this.file(ctx, path)).id, { dropEmptyRelease: true });
  }

  async removeVersion(ctx: RequestContext, path: VersionPath): Promise<void> {
    await this.releases.remove(ctx, (await this.version(ctx, path)).id, {});
  }

  async versions(ctx: RequestContext, path: PackagePath, query: ListQuery): Promise<[Release[], number]> {
    const pkg = await this.package(ctx, path);
    return this.releases.list(ctx, { ...query, filters: { package: pkg.id } });
  }

  async files(ctx: RequestContext, path: VersionPath, query: ListQuery): Promise<[Artifact[], number]> {
    return this.artifacts.listOfRelease(ctx, (await this.version(ctx, path)).id, {}, query);
  }

  private async package(ctx: RequestContext, path: PackagePath): Promise<Package> {
    return (await this.packages.findOfEngine(ctx, 'generic', path.package)) ?? this.missing(ctx, path, 'package');
  }

  private async version(ctx: RequestContext, path: VersionPath): Promise<Release> {
    const pkg = await this.package(ctx, path);
    return (await findPackageVersion(this.db.manager, ctx, pkg.id, path.version)) ?? this.missing(ctx, path, 'version');
  }

  private async file(ctx: RequestContext, path: FilePath): Promise<Artifact> {
    const pkg = await this.package(ctx, path);
    return (await this.artifacts.findInVersion(ctx, pkg.id, path.version, path.filename)) ?? this.missing(ctx, path, 'file');
  }

  /**
   * 404 — or, for an anonymous caller, 401 (with the Basic challenge) when it exists but is
   * hidden, so that curl users learn to send credentials (SPEC §6.3).
   */
  private async missing(ctx: RequestContext, path: PackagePath & Partial<FilePath>, what: string): Promise<never> {
    if (ctx.bearer.kind === 'anonymous' && (await this.packages.exists(ctx.account.id, 'generic', path.package, path))) {
      throw new DomainError(401, 'TOKEN_MISSING', `Authentication is required to read this ${what}: send credentials (a token, or license:<key> as Basic)`);
    }
    throw Errors.notFound(what);
  }
}
