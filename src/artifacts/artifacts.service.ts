import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { ReleaseRules } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, Errors, isUniqueViolation, relationshipPointer } from '../common/errors.js';
import { deleteFound, forWrite } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Artifact, ARTIFACT_STATUSES } from '../database/entities/artifact.entity.js';
import { Release } from '../database/entities/release.entity.js';
import { EventsService } from '../events/events.service.js';
import { channelSet, findRelease, lockRelease, narrowReleases, type ReleaseNarrowing } from '../releases/release-queries.js';
import { BLOB_STORE, type BlobStore } from '../storage/blob-store.js';
import { visibleArtifacts } from './artifact-queries.js';
import { checkFilename, parseChecksum, resolveFiletype } from './artifact-rules.js';
import type { CreateArtifactAttributes, UpdateArtifactAttributes } from './dto/artifact-attributes.js';

export const ARTIFACT_FILTERS = ['release', 'product', 'package', 'channel', 'status', 'filetype', 'platform', 'arch'] as const;
/** What narrows a lookup by filename (SPEC §3.5). */
export const ARTIFACT_LOOKUP_FILTERS = ['release', 'product', 'package', 'channel'] as const;

const filenameTaken = () => Errors.unprocessable('FILENAME_TAKEN', 'filename already exists in this release', attributePointer('filename'));

@Injectable()
export class ArtifactsService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Visible artifacts as `a`, joined to their release as `ar` for filters and order. */
  visibleArtifacts(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<Artifact> {
    return visibleArtifacts(manager, ctx);
  }

  /** Applies release, product, package and channel filters; false when a named release is not visible. */
  private async narrow(ctx: RequestContext, qb: SelectQueryBuilder<Artifact>, query: ListQuery): Promise<boolean> {
    narrowReleases(qb, { product: singleFilter(query, 'product'), package: singleFilter(query, 'package') }, 'ar');
    const channel = singleFilter(query, 'channel');
    if (channel !== undefined) qb.andWhere('ar.channel IN (:...artifactChannels)', { artifactChannels: channelSet(channel) });
    const releaseRef = singleFilter(query, 'release');
    if (releaseRef !== undefined) {
      const release = await findRelease(this.db.manager, ctx, releaseRef, { product: singleFilter(query, 'product'), package: singleFilter(query, 'package') });
      if (!release) return false;
      qb.andWhere('a.release_id = :artifactRelease', { artifactRelease: release.id });
    }
    return true;
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<[Artifact[], number]> {
    const qb = this.visibleArtifacts(ctx);
    if (!(await this.narrow(ctx, qb, query))) return [[], 0];
    const status = singleFilter(query, 'status');
    if (status !== undefined) {
      if (!(ARTIFACT_STATUSES as readonly string[]).includes(status)) throw Errors.badParameter('status', 'status must be WAITING, UPLOADED or FAILED');
      qb.andWhere('a.status = :status', { status });
    }
    // Stored lowercased (SPEC §3.5), so matched case-insensitively by lowercasing the filter.
    for (const name of ['filetype', 'platform', 'arch'] as const) {
      const value = singleFilter(query, name);
      if (value !== undefined) qb.andWhere(`a.${name} = :${name}`, { [name]: value.toLowerCase() });
    }
    return paged(qb, 'a', query).getManyAndCount();
  }

  /** By id, or by filename: the visible artifact whose release has the highest version wins. */
  async find(ctx: RequestContext, ref: string, query?: ListQuery, manager?: EntityManager): Promise<Artifact> {
    const qb = forWrite(this.visibleArtifacts(ctx, manager), manager, 'a');
    if (query && !(await this.narrow(ctx, qb, query))) throw Errors.notFound('artifact');
    if (isUuid(ref)) qb.andWhere('a.id = :ref', { ref });
    else qb.andWhere('lower(a.filename) = lower(:ref)', { ref: ref.normalize('NFC') });
    const artifact = await qb.orderBy('ar.sort_key', 'DESC').addOrderBy('a.created_at', 'DESC').limit(1).getOne();
    if (!artifact) throw Errors.notFound('artifact');
    return artifact;
  }

  /** The visible file of that name (case-insensitive) in exactly that version of a package; null when none. */
  findInVersion(ctx: RequestContext, packageId: string, version: string, filename: string): Promise<Artifact | null> {
    return this.visibleArtifacts(ctx)
      .andWhere('ar.package_id = :package AND ar.version = :version AND lower(a.filename) = lower(:filename)', { package: packageId, version, filename })
      .getOne();
  }

  async create(ctx: RequestContext, body: ResourceBody<CreateArtifactAttributes>, narrowing: ReleaseNarrowing = {}): Promise<Artifact> {
    const release = await findRelease(this.db.manager, ctx, body.relationships.release!, narrowing);
    if (!release) throw Errors.unprocessable('RELEASE_NOT_FOUND', 'release does not exist', relationshipPointer('release'));
    ReleaseRules.assertWrite(ctx.bearer, release.productId, "upload this product's artifacts");
    const { filetype, filesize, platform, arch, checksum, signature, metadata } = body.attributes;
    const filename = checkFilename(body.attributes.filename);
    const resolvedType = resolveFiletype(filename, filetype);
    if (checksum) parseChecksum(checksum);
    this.checkFilesize(filesize);
    const declared = {
      filetype: resolvedType,
      filesize: filesize ?? null,
      platform: platform ? platform.toLowerCase() : null,
      arch: arch ? arch.toLowerCase() : null,
      checksum: checksum ?? null,
      signature: signature ?? null,
      metadata: metadata ?? {},
    };
    const write = () =>
      this.db.transaction(async (manager) => {
        const existing = await forWrite(manager.getRepository(Artifact).createQueryBuilder('a'), manager, 'a')
          .where('a.release_id = :release AND lower(a.filename) = lower(:filename)', { release: release.id, filename })
          .getOne();
        if (existing) return this.createAgain(manager, existing, declared);
        const artifact = await manager.getRepository(Artifact).save({
          accountId: ctx.account.id,
          releaseId: release.id,
          filename,
          ...declared,
          status: 'WAITING' as const,
          sha256: null,
          size: null,
          storageKey: null,
          downloads: 0,
        });
        await this.events.record(manager, ctx, 'artifact.created', { type: 'artifacts', id: artifact.id });
        return artifact;
      });
    try {
      return await write();
    } catch (error) {
      if (!isUniqueViolation(error, 'artifacts_release_filename_key')) throw error;
      // A concurrent create of the same filename won: this one is a create again of that artifact.
      return write();
    }
  }

  /**
   * `POST /artifacts` for a filename already in the release: an artifact still WAITING or FAILED
   * is the same artifact created again (its upload URL expired, or its bytes were refused), so
   * the create is idempotent: same id, the attributes of this request, WAITING, a new upload URL.
   * An UPLOADED one stays taken (422).
   */
  private async createAgain(manager: EntityManager, existing: Artifact, declared: Partial<Artifact>): Promise<Artifact> {
    if (existing.status === 'UPLOADED') throw filenameTaken();
    Object.assign(existing, declared, { status: 'WAITING' as const, sha256: null, size: null });
    return manager.getRepository(Artifact).save(existing);
  }

  async update(ctx: RequestContext, id: string, body: ResourceBody<UpdateArtifactAttributes>): Promise<Artifact> {
    return this.db.transaction(async (manager) => {
      const artifact = await this.findWritable(ctx, id, manager);
      assertSameId(body, artifact.id);
      const { filesize, checksum, signature, metadata } = body.attributes;
      if (body.sent.has('filesize')) {
        this.checkFilesize(filesize);
        if (artifact.status === 'UPLOADED' && filesize != null && filesize !== Number(artifact.size)) {
          throw Errors.unprocessable('FILESIZE_INVALID', 'filesize does not match the uploaded bytes', attributePointer('filesize'));
        }
        artifact.filesize = filesize ?? null;
      }
      if (body.sent.has('checksum')) {
        const declared = checksum ? parseChecksum(checksum) : null;
        if (artifact.status === 'UPLOADED' && declared && !(declared.algorithm === 'sha256' && declared.hex === artifact.sha256)) {
          throw Errors.unprocessable('CHECKSUM_INVALID', 'checksum does not match the uploaded bytes (give their sha256)', attributePointer('checksum'));
        }
        artifact.checksum = checksum ?? null;
      }
      if (body.sent.has('signature')) artifact.signature = signature ?? null;
      if (metadata !== undefined) artifact.metadata = metadata;
      await manager.getRepository(Artifact).save(artifact);
      return artifact;
    });
  }

  /**
   * Removes the row now and the bytes right after; they are never served again. With
   * `dropEmptyRelease`, a release left without files goes too (the generic registry, SPEC §6.3).
   */
  async remove(ctx: RequestContext, id: string, options: { dropEmptyRelease?: boolean } = {}): Promise<void> {
    // Found and its writer checked before the transaction, without a lock: inside it the release
    // row is locked first and the artifact's after, the order a delete of the release takes
    // (its rows, then their files by cascade), so the two never deadlock. A concurrent publish
    // into the release waits (and re-creates it if this empties and deletes it); a concurrent
    // delete of the release or of the artifact leaves nothing to delete here (404).
    const artifact = await this.findWritable(ctx, id, this.db.manager);
    const key = await this.db.transaction(async (manager) => {
      if (!(await lockRelease(manager, artifact.releaseId))) throw Errors.notFound('artifact');
      await deleteFound(manager, Artifact, artifact.id, ctx.account.id, 'artifact');
      await this.events.record(manager, ctx, 'artifact.deleted', { type: 'artifacts', id: artifact.id });
      if (options.dropEmptyRelease && !(await manager.getRepository(Artifact).existsBy({ releaseId: artifact.releaseId }))) {
        await manager.getRepository(Release).delete({ id: artifact.releaseId, accountId: ctx.account.id });
        await this.events.record(manager, ctx, 'release.deleted', { type: 'releases', id: artifact.releaseId });
      }
      return artifact.storageKey;
    });
    if (key) await this.store.remove(key).catch(() => undefined);
  }

  /** Artifacts of one release (GET /releases/{id}/artifacts). */
  async listOfRelease(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, query: ListQuery): Promise<[Artifact[], number]> {
    const release = await findRelease(this.db.manager, ctx, ref, narrowing);
    if (!release) throw Errors.notFound('release');
    return paged(this.visibleArtifacts(ctx).andWhere('a.release_id = :release', { release: release.id }), 'a', query).getManyAndCount();
  }

  private async findWritable(ctx: RequestContext, id: string, manager: EntityManager): Promise<Artifact> {
    const artifact = await this.find(ctx, id, undefined, manager);
    const release = await manager.getRepository(Release).findOneBy({ id: artifact.releaseId });
    // Its release was deleted since the lookup (a concurrent delete): the artifact went with it.
    if (!release) throw Errors.notFound('artifact');
    ReleaseRules.assertWrite(ctx.bearer, release.productId, 'change this artifact');
    return artifact;
  }

  private checkFilesize(filesize: number | null | undefined): void {
    if (filesize != null && filesize > this.config.maxUploadBytes) {
      throw Errors.unprocessable('FILESIZE_INVALID', `filesize is over the upload limit of ${this.config.maxUploadBytes} bytes`, attributePointer('filesize'));
    }
  }
}
