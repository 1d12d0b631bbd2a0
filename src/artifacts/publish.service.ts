import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { canWriteWithin } from '../auth/access/catalog.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Errors, isForeignKeyViolation, isUniqueViolation } from '../common/errors.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import { Package, type EngineKey } from '../database/entities/package.entity.js';
import type { Product } from '../database/entities/product.entity.js';
import { Release } from '../database/entities/release.entity.js';
import { EnginesService } from '../engines/engines.service.js';
import { EventsService } from '../events/events.service.js';
import { packageKey } from '../products/package-key.js';
import { PackagesService } from '../products/packages.service.js';
import { ProductsService } from '../products/products.service.js';
import { channelOf, isChannel, parseVersion, semverColumns, type ParsedVersion } from '../releases/version.js';
import { BLOB_STORE, type BlobStore, type StagedBlob, storageKey } from '../storage/blob-store.js';
import { payloadTooLarge } from '../storage/hashing.js';
import { checkFilename, resolveFiletype } from './artifact-rules.js';

/** One file published into a package version through an engine (twine upload, generic PUT). */
export interface PublishFile {
  engine: EngineKey;
  /** The package key as the client wrote it; stored in the engine's form (PEP 503 for pypi). */
  packageKey: string;
  /** The name a new package gets; the key as written when absent. */
  packageName?: string;
  /** The product of a product-level URL or `?product=`: a new package's product, and the owner an existing one must have. */
  productRef?: string;
  /** A full SemVer version (engines map their own version schemes first). */
  version: string;
  filename: string;
  filetype?: string | null;
  metadata?: Record<string, unknown>;
  /** The file's bytes, streamed to storage while hashing; never held whole in memory. */
  bytes: Readable;
  /** Content-Length when the client sent one: over the limit → 413 before a byte is read. */
  declaredSize?: number;
  /**
   * Checks the staged bytes before anything becomes visible (declared digests, a wheel's
   * metadata read while streaming); throwing refuses the upload and keeps nothing.
   */
  verify?: (staged: StagedBlob) => void | Promise<void>;
  /** Writes what belongs with the new artifact (a wheel's metadata), in its transaction. */
  attach?: (manager: EntityManager, artifact: Artifact) => Promise<void>;
  /**
   * An existing filename: `identical` answers the existing artifact when the bytes are the same
   * (twine retries after a 5xx) and 409 otherwise; `conflict` always answers 409, before reading.
   */
  duplicates: 'identical' | 'conflict';
  /** A filename once published into the package is never accepted again with other bytes (PyPI), even after the package was deleted. */
  keepFilenames: boolean;
}

export interface Published {
  artifact: Artifact;
  release: Release;
  package: Package;
  /** False when an identical file was already there and nothing changed. */
  created: boolean;
}

/** What a publish resolved before reading any byte. */
interface Target {
  key: string;
  /** The filename as stored and compared (NFC, see checkFilename). */
  filename: string;
  version: string;
  parsed: ParsedVersion;
  channel: string;
  /** The existing package; null when the publish creates it. */
  pkg: Package | null;
  /** The product the URL named, if any. */
  named: Product | null;
  /** The product a new package belongs to. */
  ownerId: string;
}

export const fileExists = () => Errors.conflict('FILENAME_TAKEN', 'File already exists');
export const filenameReused = () => Errors.conflict('FILENAME_REUSED', 'File name has been used before');
const packageGone = (key: string) => Errors.conflict('PACKAGE_CHANGED', `The package ${key} was deleted while this file was uploaded; upload it again`);
const releaseYanked = (version: string) => Errors.conflict('RELEASE_YANKED', `Version ${version} was yanked and takes no new files`);

/**
 * "Publish a file into a package version" (ARCHITECTURE, Engines): find or create the package
 * (engine set) and a PUBLISHED release, stream the bytes through the same verified storage path
 * as the 307 flow, and record the artifact and its events in one short transaction. Everything
 * a client can get wrong is checked before the bytes are read or before anything is written, so
 * a refused upload leaves no row and no file; no transaction is held while bytes flow.
 */
@Injectable()
export class PublishService {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly engines: EnginesService,
    private readonly products: ProductsService,
    private readonly packages: PackagesService,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async publish(ctx: RequestContext, file: PublishFile): Promise<Published> {
    const target = await this.resolve(ctx, file);
    const existing = await this.existingFile(ctx.account.id, target, target.filename);
    if (existing && (file.duplicates === 'conflict' || existing.status !== 'UPLOADED')) throw fileExists();
    if (file.declaredSize !== undefined && file.declaredSize > this.config.maxUploadBytes) throw payloadTooLarge(this.config.maxUploadBytes);

    const artifactId = randomUUID();
    const key = storageKey(ctx.account.id, artifactId);
    const staged = await this.store.stage(key, file.bytes, { maxBytes: this.config.maxUploadBytes, sha512: false });
    try {
      await file.verify?.(staged);
      const same = await this.duplicateOf(ctx.account.id, target, file, staged.sha256);
      if (same) {
        await staged.discard();
        return { ...same, created: false };
      }
      await staged.commit();
    } catch (error) {
      await staged.discard().catch(() => undefined);
      throw error;
    }

    try {
      return await this.db.transaction((manager) => this.record(manager, ctx, file, target, { id: artifactId, key, staged }));
    } catch (error) {
      await this.store.remove(key).catch(() => undefined);
      if (isUniqueViolation(error, 'artifacts_release_filename_key')) {
        // A concurrent upload of the same filename won: identical bytes are that upload's answer.
        const same = await this.duplicateOf(ctx.account.id, target, file, staged.sha256);
        if (same) return { ...same, created: false };
        throw fileExists();
      }
      // A package, product or release the upload writes into was deleted under it (PostgreSQL
      // 23503): a conflict the client resolves by uploading again, never a 422 about a body it did not send.
      if (isForeignKeyViolation(error)) throw Errors.conflict('CONFLICT', 'Something this file was published into was deleted meanwhile; upload it again');
      throw error;
    }
  }

  /** Names, version, product and write permission, before any byte is read. */
  private async resolve(ctx: RequestContext, file: PublishFile): Promise<Target> {
    const key = packageKey(file.packageKey, file.engine);
    const parsed = parseVersion(file.version);
    if (!parsed) throw Errors.badParameter('version', `${file.version} is not a full semantic version such as 1.2.3 or 2.0.0-beta.1`, 'VERSION_INVALID');
    const channel = channelOf(parsed);
    if (!isChannel(channel)) {
      throw Errors.badParameter('version', `the pre-release of ${file.version} must start with rc, beta, alpha or dev (e.g. 1.0.0-beta.1)`, 'VERSION_CHANNEL_INVALID');
    }
    const filename = checkFilename(file.filename);
    resolveFiletype(filename, file.filetype);

    const pkg = await this.packageByKey(this.db.manager, ctx.account.id, key);
    const product = file.productRef === undefined ? null : await this.products.findVisible(ctx, file.productRef);
    if (file.productRef !== undefined && !product) throw Errors.notFound('product');
    const target = { key, filename, version: file.version, parsed, channel, named: product };
    if (pkg) {
      await this.assertWritablePackage(ctx, pkg, file, product);
      const release = await this.db.getRepository(Release).findOneBy({ accountId: ctx.account.id, packageId: pkg.id, version: file.version });
      if (release?.status === 'YANKED') throw releaseYanked(file.version);
      return { ...target, pkg, ownerId: pkg.productId };
    }
    const owner = product ?? (ctx.bearer.kind === 'product' ? ctx.bearer.product : null);
    if (!owner) {
      throw Errors.badParameter('product', `${file.packageKey} is a new package: name its product (a product token, or the product in the URL)`, 'PRODUCT_MISSING');
    }
    if (!canWriteWithin(ctx.bearer, owner.id)) throw Errors.forbidden("This bearer may not publish into this product's packages");
    return { ...target, pkg: null, ownerId: owner.id };
  }

  private async assertWritablePackage(ctx: RequestContext, pkg: Package, file: PublishFile, product: Product | null): Promise<void> {
    if (!canWriteWithin(ctx.bearer, pkg.productId)) {
      // Writers of other products learn no more than a reader would: 403 where they see it, 404 where not.
      const visible = await this.packages.find(ctx, pkg.id).then(
        () => true,
        () => false,
      );
      throw visible ? Errors.forbidden('This bearer may not publish into this package') : Errors.notFound('package');
    }
    if (pkg.engine !== file.engine) {
      throw Errors.conflict('PACKAGE_ENGINE_MISMATCH', `${pkg.key} is ${pkg.engine ? `a ${pkg.engine}` : 'a plain'} package, not a ${file.engine} one`);
    }
    if (product && product.id !== pkg.productId) {
      throw Errors.conflict('PACKAGE_PRODUCT_MISMATCH', `${pkg.key} belongs to another product`);
    }
  }

  /** The artifact of that filename in the target release, whatever its status. */
  private async existingFile(accountId: string, target: Target, filename: string): Promise<Artifact | null> {
    if (!target.pkg) return null;
    return this.db
      .getRepository(Artifact)
      .createQueryBuilder('a')
      .innerJoin(Release, 'r', 'r.id = a.release_id')
      .where('a.account_id = :account AND r.package_id = :pkg AND r.version = :version AND lower(a.filename) = lower(:filename)', {
        account: accountId,
        pkg: target.pkg.id,
        version: target.version,
        filename,
      })
      .getOne();
  }

  /**
   * An identical file already published (same name, same bytes) → that file; the same name with
   * other bytes, now or ever before when the engine keeps filenames → 409.
   */
  private async duplicateOf(accountId: string, target: Target, file: PublishFile, sha256: string): Promise<Omit<Published, 'created'> | null> {
    const pkg = target.pkg ?? (await this.packageByKey(this.db.manager, accountId, target.key));
    if (!pkg) return null;
    // The kept filename is read before the artifact: both are written in one transaction, so a
    // kept filename seen here comes with its artifact, unless that was deleted ("used before").
    // Read the other way round, an upload committing in between would look like a deleted one.
    const reused = file.keepFilenames && (await this.usedWithOtherBytes(this.db.manager, pkg, target.filename, sha256));
    const existing = await this.existingFile(accountId, { ...target, pkg }, target.filename);
    if (existing) {
      if (file.duplicates === 'identical' && existing.status === 'UPLOADED' && existing.sha256 === sha256) {
        const release = await this.db.getRepository(Release).findOneByOrFail({ id: existing.releaseId });
        return { artifact: existing, release, package: pkg };
      }
      throw fileExists();
    }
    if (reused) throw filenameReused();
    return null;
  }

  private async record(
    manager: EntityManager,
    ctx: RequestContext,
    file: PublishFile,
    target: Target,
    blob: { id: string; key: string; staged: StagedBlob },
  ): Promise<Published> {
    const { pkg, created: packageCreated } = await this.packageFor(manager, ctx, file, target);
    const { release, created: releaseCreated } = await this.releaseFor(manager, ctx, pkg, target);
    // The artifact first: its unique filename in the release decides a race between uploads of one
    // filename (the loser answers as a sequential re-upload would, see publish), so that the kept
    // filenames below refuse only a filename whose artifact is gone ("used before").
    const artifact = await manager.getRepository(Artifact).save({
      id: blob.id,
      accountId: ctx.account.id,
      releaseId: release.id,
      filename: target.filename,
      filetype: resolveFiletype(target.filename, file.filetype),
      filesize: blob.staged.size,
      platform: null,
      arch: null,
      checksum: null,
      signature: null,
      metadata: file.metadata ?? {},
      status: 'UPLOADED',
      sha256: blob.staged.sha256,
      size: blob.staged.size,
      storageKey: blob.key,
      downloads: 0,
    });
    if (file.keepFilenames) {
      await manager.query(
        `INSERT INTO package_filenames (account_id, package_key, filename, sha256) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id, lower(package_key), lower(filename)) DO NOTHING`,
        [ctx.account.id, pkg.key, target.filename, blob.staged.sha256],
      );
      if (await this.usedWithOtherBytes(manager, pkg, target.filename, blob.staged.sha256)) throw filenameReused();
    }
    await file.attach?.(manager, artifact);
    if (packageCreated) await this.events.record(manager, ctx, 'package.created', { type: 'packages', id: pkg.id });
    if (releaseCreated) {
      await this.events.record(manager, ctx, 'release.created', { type: 'releases', id: release.id });
      await this.events.record(manager, ctx, 'release.published', { type: 'releases', id: release.id });
    }
    await this.events.record(manager, ctx, 'artifact.created', { type: 'artifacts', id: artifact.id });
    await this.events.record(manager, ctx, 'artifact.uploaded', { type: 'artifacts', id: artifact.id });
    return { artifact, release, package: pkg, created: true };
  }

  /** The package, created when missing; a race with another creator leaves one row, checked again. */
  private async packageFor(manager: EntityManager, ctx: RequestContext, file: PublishFile, target: Target): Promise<{ pkg: Package; created: boolean }> {
    if (target.pkg) {
      // Key-share locked until the artifact commits, as the release is: a delete of the package
      // (or of its product) waits for this publish, or, if it came first, the upload is refused
      // as a conflict to retry, never a foreign-key failure on the release.
      const locked = await manager
        .getRepository(Package)
        .createQueryBuilder('p')
        .setLock('for_key_share')
        .where('p.id = :id AND p.account_id = :account', { id: target.pkg.id, account: ctx.account.id })
        .getOne();
      if (!locked) throw packageGone(target.pkg.key);
      return { pkg: locked, created: false };
    }
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(Package)
      .values({ accountId: ctx.account.id, productId: target.ownerId, name: file.packageName ?? file.packageKey, key: target.key, engine: file.engine, metadata: {} })
      .orIgnore()
      .execute();
    const pkg = await this.packageByKey(manager, ctx.account.id, target.key);
    if (!pkg) throw new Error('package vanished after its insert');
    const created = (inserted.raw as unknown[]).length > 0;
    // Created meanwhile by another upload: the same checks as for a package that existed.
    if (!created) await this.assertWritablePackage(ctx, pkg, file, target.named);
    await this.engines.ensure(manager, ctx.account.id, file.engine);
    return { pkg, created };
  }

  /**
   * The version's release, created PUBLISHED when missing (uploading is publishing, as on PyPI),
   * and key-share locked until the artifact commits: a concurrent delete of the version (or of
   * its last file) then waits for this publish, or, if it deleted the release first, the
   * release is created again here, never a foreign-key failure or a file cascaded away.
   */
  private async releaseFor(manager: EntityManager, ctx: RequestContext, pkg: Package, target: Target): Promise<{ release: Release; created: boolean }> {
    const { version } = target;
    for (let attempt = 1; ; attempt++) {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(Release)
        .values({
          accountId: ctx.account.id,
          productId: pkg.productId,
          packageId: pkg.id,
          version,
          ...semverColumns(target.parsed),
          channel: target.channel,
          status: 'PUBLISHED',
          metadata: {},
        })
        .orIgnore()
        .execute();
      const release = await manager
        .getRepository(Release)
        .createQueryBuilder('r')
        .setLock('for_key_share')
        .where('r.account_id = :account AND r.package_id = :pkg AND r.version = :version', { account: ctx.account.id, pkg: pkg.id, version })
        .getOne();
      if (release) {
        if (release.status === 'YANKED') throw releaseYanked(version);
        return { release, created: (inserted.raw as unknown[]).length > 0 };
      }
      // Deleted between the insert and the lock by a concurrent delete: create it again.
      if (attempt === 3) throw Errors.conflict('VERSION_CHANGED', `Version ${version} was deleted while this file was published; retry`);
    }
  }

  private packageByKey(manager: EntityManager, accountId: string, key: string): Promise<Package | null> {
    return manager.getRepository(Package).createQueryBuilder('p').where('p.account_id = :account AND lower(p.key) = lower(:key)', { account: accountId, key }).getOne();
  }

  /** Filenames are kept by package key, so they outlive a deleted package (see the PypiIndex migration). */
  private async usedWithOtherBytes(manager: EntityManager, pkg: Package, filename: string, sha256: string): Promise<boolean> {
    const rows: { sha256: string }[] = await manager.query(
      'SELECT sha256 FROM package_filenames WHERE account_id = $1 AND lower(package_key) = lower($2) AND lower(filename) = lower($3)',
      [pkg.accountId, pkg.key, filename],
    );
    return rows.length > 0 && rows[0].sha256 !== sha256;
  }
}
