import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ReleaseRules } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { attributePointer, DomainError, Errors, relationshipPointer } from '../common/errors.js';
import { deleteFound, writeUnique } from '../common/unique.js';
import { isUuid } from '../common/ids.js';
import { listFilter, paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import type { Package } from '../database/entities/package.entity.js';
import { Release, RELEASE_STATUSES } from '../database/entities/release.entity.js';
import { EnginesService } from '../engines/engines.service.js';
import { EventsService } from '../events/events.service.js';
import { PackagesService } from '../products/packages.service.js';
import { ProductsService } from '../products/products.service.js';
import { BLOB_STORE, type BlobStore } from '../storage/blob-store.js';
import type { CreateReleaseAttributes, UpdateReleaseAttributes } from './dto/release-attributes.js';
import { channelSet, constrainedByAll, findRelease, lockRelease, narrowReleases, visibleReleases, type ReleaseNarrowing } from './release-queries.js';
import { channelOf, isChannel, parseVersion, semverColumns, type ParsedVersion } from './version.js';

export const RELEASE_FILTERS = ['product', 'package', 'channel', 'status', 'yanked', 'entitlements'] as const;

const versionTaken = () => Errors.unprocessable('VERSION_TAKEN', 'version already exists', attributePointer('version'));
const tagTaken = () => Errors.unprocessable('TAG_TAKEN', 'tag already exists', attributePointer('tag'));
/** The unique indexes a release write can lose a race on, and their answers. */
const RELEASE_UNIQUES = { releases_version_key: versionTaken, releases_tag_key: tagTaken };

@Injectable()
export class ReleasesService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly products: ProductsService,
    private readonly packages: PackagesService,
    private readonly engines: EnginesService,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  async list(ctx: RequestContext, query: ListQuery): Promise<[Release[], number]> {
    const qb = narrowReleases(visibleReleases(this.db.manager, ctx), { product: singleFilter(query, 'product'), package: singleFilter(query, 'package') });
    const channel = singleFilter(query, 'channel');
    if (channel !== undefined) qb.andWhere('r.channel IN (:...channels)', { channels: channelSet(channel) });
    const status = singleFilter(query, 'status');
    if (status !== undefined) {
      if (!(RELEASE_STATUSES as readonly string[]).includes(status)) throw Errors.badParameter('status', 'status must be DRAFT, PUBLISHED or YANKED');
      qb.andWhere('r.status = :status', { status });
    }
    const yanked = singleFilter(query, 'yanked');
    if (yanked !== undefined) {
      if (yanked !== 'true' && yanked !== 'false') throw Errors.badParameter('yanked', 'yanked must be true or false');
      qb.andWhere(yanked === 'true' ? `r.status = 'YANKED'` : `r.status <> 'YANKED'`);
    }
    constrainedByAll(qb, ctx.account.id, listFilter(query, 'entitlements') ?? []);
    return paged(qb, 'r', query).getManyAndCount();
  }

  async find(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing = {}, manager: EntityManager = this.db.manager): Promise<Release> {
    const release = await findRelease(manager, ctx, ref, narrowing);
    if (!release) throw Errors.notFound('release');
    return release;
  }

  /** The related package of a visible release (its `relationships.package`), with the packages' own access rules; null when it has none. */
  async relatedPackage(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing): Promise<Package | null> {
    const release = await this.find(ctx, ref, narrowing);
    return release.packageId ? this.packages.find(ctx, release.packageId) : null;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreateReleaseAttributes>): Promise<Release> {
    const product = await this.products.findVisible(ctx, body.relationships.product!);
    if (!product) throw Errors.unprocessable('PRODUCT_NOT_FOUND', 'product does not exist', relationshipPointer('product'));
    ReleaseRules.assertWrite(ctx.bearer, product.id, "create this product's releases");
    const { version, channel, status, tag, name, description, backdated, metadata } = body.attributes;
    const parsed = checkedVersion(version, channel);
    const pkg = await this.packageOf(ctx, product.id, body.relationships.package);
    this.checkTag(tag);
    const backdatedAt = this.backdated(backdated);
    return writeUnique(this.db, async (manager) => {
      const release = await manager.getRepository(Release).save({
        accountId: ctx.account.id,
        productId: product.id,
        packageId: pkg?.id ?? null,
        version,
        ...semverColumns(parsed),
        channel,
        status: status ?? 'DRAFT',
        tag: tag ?? null,
        name: name ?? null,
        description: description ?? null,
        backdated: backdatedAt,
        yankedAt: null,
        metadata: metadata ?? {},
      });
      await this.engines.ensure(manager, ctx.account.id, pkg?.engine ?? null);
      await this.events.record(manager, ctx, 'release.created', { type: 'releases', id: release.id });
      if (release.status === 'PUBLISHED') await this.events.record(manager, ctx, 'release.published', { type: 'releases', id: release.id });
      return release;
    }, RELEASE_UNIQUES);
  }

  async update(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, body: ResourceBody<UpdateReleaseAttributes>): Promise<Release> {
    return this.change(ctx, ref, narrowing, 'release.updated', (release) => {
      assertSameId(body, release.id);
      const { name, description, tag, backdated, metadata } = body.attributes;
      if (body.sent.has('name')) release.name = name ?? null;
      if (body.sent.has('description')) release.description = description ?? null;
      if (body.sent.has('tag')) {
        this.checkTag(tag);
        release.tag = tag ?? null;
      }
      if (body.sent.has('backdated')) release.backdated = this.backdated(backdated);
      if (metadata !== undefined) release.metadata = metadata;
    });
  }

  publish(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing): Promise<Release> {
    return this.change(ctx, ref, narrowing, 'release.published', (release) => {
      if (release.status === 'YANKED') throw Errors.unprocessable('STATUS_INVALID', 'a yanked release cannot be published again');
      release.status = 'PUBLISHED';
    });
  }

  yank(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing): Promise<Release> {
    return this.change(ctx, ref, narrowing, 'release.yanked', (release) => {
      if (release.status === 'YANKED') return;
      release.status = 'YANKED';
      release.yankedAt = new Date();
    });
  }

  /** Deletes the release and its artifacts; their bytes go after the commit (or by the sweep). */
  async remove(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing): Promise<void> {
    const keys = await this.db.transaction(async (manager) => {
      const release = await this.find(ctx, ref, narrowing, manager);
      ReleaseRules.assertWrite(ctx.bearer, release.productId, 'delete this release');
      // Locked before its files are listed, so a file published into it meanwhile is listed too.
      if (!(await lockRelease(manager, release.id))) throw Errors.notFound('release');
      const artifacts = await manager.getRepository(Artifact).findBy({ releaseId: release.id });
      await deleteFound(manager, Release, release.id, ctx.account.id, 'release');
      await this.events.record(manager, ctx, 'release.deleted', { type: 'releases', id: release.id });
      return artifacts.map((artifact) => artifact.storageKey).filter((key): key is string => key !== null);
    });
    await Promise.all(keys.map((key) => this.store.remove(key).catch(() => undefined)));
  }

  private async change(ctx: RequestContext, ref: string, narrowing: ReleaseNarrowing, event: string, apply: (release: Release) => void): Promise<Release> {
    return writeUnique(this.db, async (manager) => {
      const release = await this.find(ctx, ref, narrowing, manager);
      ReleaseRules.assertWrite(ctx.bearer, release.productId, 'change this release');
      apply(release);
      await manager.getRepository(Release).save(release);
      await this.events.record(manager, ctx, event, { type: 'releases', id: release.id });
      return release;
    }, RELEASE_UNIQUES);
  }

  /** The release's package: visible, and of the same product (SPEC §3.4). */
  private async packageOf(ctx: RequestContext, productId: string, ref: string | null | undefined): Promise<Package | null> {
    if (!ref) return null;
    const pkg = await this.packages.find(ctx, ref).catch((error: unknown) => {
      if (error instanceof DomainError && error.status === 404) return null;
      throw error;
    });
    if (!pkg) throw Errors.unprocessable('PACKAGE_NOT_FOUND', 'package does not exist', relationshipPointer('package'));
    if (pkg.productId !== productId) throw Errors.unprocessable('PACKAGE_NOT_ALLOWED', 'package belongs to another product', relationshipPointer('package'));
    return pkg;
  }

  private checkTag(tag: string | null | undefined): void {
    if (tag && (isUuid(tag) || !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/.test(tag))) {
      throw Errors.unprocessable('TAG_INVALID', 'tag must be letters, digits, ".", "_", "+" or "-", and not look like a UUID', attributePointer('tag'));
    }
  }

  private backdated(value: string | null | undefined): Date | null {
    if (!value) return null;
    const date = new Date(value);
    if (date.getTime() > Date.now()) throw Errors.unprocessable('BACKDATED_INVALID', 'backdated must be in the past', attributePointer('backdated'));
    return date;
  }

}

/** A full SemVer version whose pre-release matches the channel (SPEC §3.4), or a 422. */
function checkedVersion(version: string, channel: string): ParsedVersion {
  const parsed = parseVersion(version);
  if (!parsed) throw Errors.unprocessable('VERSION_INVALID', 'version must be a full semantic version such as 1.2.3 or 2.0.0-beta.1', attributePointer('version'));
  if (!isChannel(channel)) throw Errors.unprocessable('CHANNEL_INVALID', 'channel must be one of stable, rc, beta, alpha, dev', attributePointer('channel'));
  if (channelOf(parsed) !== channel) {
    const detail =
      channel === 'stable' ? 'a stable version has no pre-release part' : `a ${channel} version needs a pre-release starting with "${channel}" (e.g. 1.0.0-${channel}.1)`;
    throw Errors.unprocessable('VERSION_CHANNEL_INVALID', detail, attributePointer('version'));
  }
  return parsed;
}
