import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import rangeParser from 'range-parser';
import { DataSource } from 'typeorm';
import { ANONYMOUS } from '../auth/bearer.js';
import type { RequestContext } from '../auth/decorators.js';
import { noneMatch, rangeStillValid } from '../common/conditional.js';
import { DomainError, Errors } from '../common/errors.js';
import { stateOf } from '../common/request-context.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ArtifactMetadata } from '../database/entities/artifact-metadata.entity.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import { Release } from '../database/entities/release.entity.js';
import { EventsService } from '../events/events.service.js';
import { BLOB_STORE, type BlobStore, contentDisposition, type StagedBlob, storageKey } from '../storage/blob-store.js';
import { payloadTooLarge } from '../storage/hashing.js';
import { SignedUrls } from '../storage/signed-urls.js';
import { type DeclaredChecksum, parseChecksum } from './artifact-rules.js';

type EventContext = Parameters<EventsService['record']>[1];

const CHANGED = 'the artifact was created again or changed during this upload, so these bytes were not kept; upload again with its current upload URL';

/**
 * Moving artifact bytes (SPEC §3.5, §7): the signed upload URL streams to storage while
 * hashing and records the artifact only once the bytes are durable; downloads hand out a
 * signed (or presigned) URL and the signed URL serves the bytes. No database transaction is
 * held while bytes flow.
 */
@Injectable()
export class ArtifactTransfer {
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    private readonly urls: SignedUrls,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  uploadUrl(req: Request, artifact: Artifact): string {
    return this.urls.sign(req, 'upload', artifact.accountId, artifact.id);
  }

  /**
   * Where to download from, after counting the download (before the response, so the next
   * request sees it); null for an artifact that is not UPLOADED or whose release is YANKED,
   * which is downloadable by nobody: those who still see its document (staff, the owning
   * product) get it without a Location, as Keygen answers (SPEC §3.5).
   */
  async downloadUrl(ctx: RequestContext, req: Request, artifact: Artifact, count = true): Promise<string | null> {
    if (!(await this.isDownloadable(artifact))) return null;
    const location =
      (await this.store.presignedDownloadUrl(artifact.storageKey!, artifact.filename, this.config.signedUrlTtlSeconds)) ??
      this.urls.sign(req, 'download', artifact.accountId, artifact.id, artifact.filename);
    if (count) await this.countDownload(ctx, artifact);
    return location;
  }

  /**
   * An engine route that serves files at its own URL (SPEC §6.3), for an artifact the caller may
   * read: the bytes as the signed URL serves them on the filesystem driver, a 303 to a presigned
   * URL on object storage. A GET counts the download before answering; HEAD counts nothing.
   */
  async deliver(ctx: RequestContext, req: Request, res: Response, artifact: Artifact): Promise<void> {
    // Downloadable by nobody (not uploaded, or its release yanked): an engine URL has no document to show instead.
    if (!(await this.isDownloadable(artifact))) throw Errors.notFound('file');
    const count = req.method === 'HEAD' ? undefined : () => this.countDownload(ctx, artifact);
    const presigned = await this.store.presignedDownloadUrl(artifact.storageKey!, artifact.filename, this.config.signedUrlTtlSeconds);
    if (!presigned) return this.sendBytes(artifact, req, res, count);
    await count?.();
    res.status(303).setHeader('Location', presigned);
    res.end();
  }

  private async countDownload(ctx: RequestContext, artifact: Artifact): Promise<void> {
    await this.db.transaction(async (manager) => {
      await manager.query('UPDATE artifacts SET downloads = downloads + 1 WHERE id = $1', [artifact.id]);
      await this.events.record(manager, ctx, 'artifact.downloaded', { type: 'artifacts', id: artifact.id });
    });
    artifact.downloads = Number(artifact.downloads) + 1;
  }

  /**
   * A wheel's core metadata (`{file-url}.metadata`, PEP 658/714), as stored at upload: for those
   * who may download the file, and counted as no download. 404 when the file has none.
   */
  async coreMetadata(artifact: Artifact): Promise<{ content: Buffer; sha256: string }> {
    const row = (await this.isDownloadable(artifact)) ? await this.db.getRepository(ArtifactMetadata).findOneBy({ artifactId: artifact.id, accountId: artifact.accountId }) : null;
    if (!row?.content || !row.sha256) throw Errors.notFound('metadata file');
    return { content: row.content, sha256: row.sha256 };
  }

  /** UPLOADED, and its release neither YANKED nor deleted since the artifact was read (SPEC §3.5). */
  private async isDownloadable(artifact: Artifact): Promise<boolean> {
    if (artifact.status !== 'UPLOADED' || !artifact.storageKey) return false;
    const release = await this.db.getRepository(Release).findOneBy({ id: artifact.releaseId });
    return release !== null && release.status !== 'YANKED';
  }

  /** PUT to the signed upload URL. */
  async receive(accountId: string, artifactId: string, req: Request): Promise<Artifact> {
    this.urls.verify('upload', accountId, artifactId, req.query);
    // A body parser that ran first would have consumed the bytes (see JsonBodyMiddleware).
    if ((req as { _body?: boolean })._body) throw Errors.badRequest('BODY_INVALID', 'Use the upload URL exactly as it was given');
    const repo = this.db.getRepository(Artifact);
    const artifact = await repo.findOneBy({ id: artifactId, accountId });
    if (!artifact) throw Errors.notFound('artifact');
    if (artifact.status === 'UPLOADED') throw Errors.conflict('ARTIFACT_UPLOADED', 'the artifact is already uploaded');
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > this.config.maxUploadBytes) throw payloadTooLarge(this.config.maxUploadBytes);
    const declared = artifact.checksum ? parseChecksum(artifact.checksum) : null;
    const key = storageKey(accountId, artifactId);
    const staged = await this.store.stage(key, req, { maxBytes: this.config.maxUploadBytes, sha512: declared?.algorithm === 'sha512' });

    const event = { account: { id: accountId }, bearer: ANONYMOUS, requestId: stateOf(req).requestId };
    try {
      await this.verifyStaged(artifact, staged, declared, event);
      await staged.commit();
    } catch (error) {
      // Whatever refused it (a mismatch, a race, the store's completion), nothing stays behind:
      // no temporary file, no incomplete multipart upload (SPEC §7).
      await staged.discard().catch(() => undefined);
      throw error;
    }
    // One conditional update decides between concurrent uploads: the row names exactly the bytes
    // whose sha256 it records; a loser's bytes (under their own key) go, and so do the bytes of
    // an upload whose row could not be written (a row never points at missing bytes, nor the reverse).
    const recorded = await this.recordUpload(artifact, key, staged, event).catch(async (error: unknown) => {
      await this.store.remove(key).catch(() => undefined);
      throw error;
    });
    if (!recorded) {
      await this.store.remove(key).catch(() => undefined);
      throw await this.whyNotRecorded(artifact);
    }
    return repo.findOneByOrFail({ id: artifactId });
  }

  /**
   * An upload is verified against the size and checksum declared when it began; it is recorded
   * (or marks the artifact FAILED) only while the row still declares them. A create again or a
   * PATCH in the meantime declared other bytes, possibly under a new upload URL: this upload
   * then changes nothing and gets a 409, never a row whose bytes contradict what it declares.
   */
  private static readonly SAME_DECLARATION = 'checksum IS NOT DISTINCT FROM :checksum AND filesize IS NOT DISTINCT FROM :filesize';
  private static declaration(artifact: Artifact): { checksum: string | null; filesize: string | null } {
    return { checksum: artifact.checksum, filesize: artifact.filesize === null ? null : String(artifact.filesize) };
  }

  /** Why the conditional write of an upload's outcome touched no row. */
  private async whyNotRecorded(artifact: Artifact): Promise<DomainError> {
    return (await this.changedSince(artifact)) ?? Errors.conflict('ARTIFACT_CHANGED', CHANGED);
  }

  /** The refusal for an upload whose artifact was deleted, uploaded or declared other bytes since it began; null if none of these. */
  private async changedSince(artifact: Artifact): Promise<DomainError | null> {
    const current = await this.db.getRepository(Artifact).findOneBy({ id: artifact.id, accountId: artifact.accountId });
    if (!current) return Errors.notFound('artifact');
    if (current.status === 'UPLOADED') return Errors.conflict('ARTIFACT_UPLOADED', 'the artifact was uploaded meanwhile');
    const [before, now] = [ArtifactTransfer.declaration(artifact), ArtifactTransfer.declaration(current)];
    return before.checksum === now.checksum && before.filesize === now.filesize ? null : Errors.conflict('ARTIFACT_CHANGED', CHANGED);
  }

  /** The received bytes against the declared size and checksum; a mismatch marks the artifact FAILED (SPEC §3.5). */
  private async verifyStaged(artifact: Artifact, staged: StagedBlob, declared: DeclaredChecksum | null, event: EventContext): Promise<void> {
    const { id: artifactId, accountId } = artifact;
    const computed = declared?.algorithm === 'sha512' ? staged.sha512 : staged.sha256;
    const mismatch =
      artifact.filesize !== null && Number(artifact.filesize) !== staged.size
        ? new DomainError(422, 'FILESIZE_MISMATCH', `received ${staged.size} bytes, but filesize declares ${artifact.filesize}`)
        : declared && computed !== declared.hex
          ? new DomainError(422, 'CHECKSUM_MISMATCH', `the received bytes do not match the declared ${declared.algorithm} checksum`)
          : null;
    if (mismatch) {
      const failed = await this.db.transaction(async (manager) => {
        const result = await manager
          .createQueryBuilder()
          .update(Artifact)
          .set({ status: 'FAILED' })
          .where(`id = :id AND account_id = :account AND status = 'WAITING' AND ${ArtifactTransfer.SAME_DECLARATION}`, {
            id: artifactId,
            account: accountId,
            ...ArtifactTransfer.declaration(artifact),
          })
          .execute();
        if (result.affected) await this.events.record(manager, event, 'artifact.failed', { type: 'artifacts', id: artifactId }, { reason: mismatch.code });
        return Boolean(result.affected);
      });
      // Not marked: FAILED already (still this mismatch), or changed, uploaded or deleted meanwhile.
      throw failed ? mismatch : ((await this.changedSince(artifact)) ?? mismatch);
    }
    const changed = await this.changedSince(artifact);
    if (changed) throw changed;
  }

  private recordUpload(artifact: Artifact, key: string, staged: StagedBlob, event: EventContext): Promise<boolean> {
    const { id: artifactId, accountId } = artifact;
    return this.db.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(Artifact)
        // An undeclared filesize becomes the size received.
        .set({ status: 'UPLOADED', sha256: staged.sha256, size: staged.size, storageKey: key, filesize: () => `COALESCE(filesize, ${Number(staged.size)})` })
        .where(`id = :id AND account_id = :account AND status <> 'UPLOADED' AND ${ArtifactTransfer.SAME_DECLARATION}`, {
          id: artifactId,
          account: accountId,
          ...ArtifactTransfer.declaration(artifact),
        })
        .execute();
      if (result.affected) await this.events.record(manager, event, 'artifact.uploaded', { type: 'artifacts', id: artifactId });
      return Boolean(result.affected);
    });
  }

  /** GET or HEAD on the signed download URL. */
  async serve(accountId: string, artifactId: string, req: Request, res: Response): Promise<void> {
    this.urls.verify('download', accountId, artifactId, req.query);
    const artifact = await this.db.getRepository(Artifact).findOneBy({ id: artifactId, accountId });
    if (!artifact || artifact.status !== 'UPLOADED' || !artifact.storageKey) throw Errors.notFound('artifact');
    const release = await this.db.getRepository(Release).findOneBy({ id: artifact.releaseId });
    if (!release || release.status === 'YANKED') throw Errors.notFound('artifact');
    await this.sendBytes(artifact, req, res);
  }

  /**
   * The bytes of a downloadable artifact, with ranges, ETag and disposition (SPEC §3.5).
   * `beforeBody` runs once the answer is known to carry bytes (200 or 206), before anything is sent.
   */
  private async sendBytes(artifact: Artifact, req: Request, res: Response, beforeBody?: () => Promise<void>): Promise<void> {
    const size = Number(artifact.size);
    const etag = `"${artifact.sha256}"`;
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', contentDisposition(artifact.filename));
    res.setHeader('Cache-Control', 'private, no-transform');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (!noneMatch(req.headers['if-none-match'], etag)) {
      res.status(304).end();
      return;
    }
    let range: { start: number; end: number } | undefined;
    const header = req.headers.range;
    if (header && rangeStillValid(req.get('if-range'), etag)) {
      const parsed = rangeParser(size, header, { combine: true });
      if (parsed === -1) {
        res.setHeader('Content-Range', `bytes */${size}`);
        throw new DomainError(416, 'RANGE_INVALID', 'The requested range is not satisfiable');
      }
      // A malformed header is ignored, and several ranges get the whole file (RFC 9110 allows both).
      if (parsed !== -2 && parsed.length === 1) range = parsed[0];
    }
    if (range) {
      res.status(206);
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else {
      res.status(200);
      res.setHeader('Content-Length', String(size));
    }
    await beforeBody?.();
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    try {
      await pipeline(await this.store.open(artifact.storageKey!, range), res);
    } catch (error) {
      // A client that goes away mid-download is not a server error.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
    }
  }
}
