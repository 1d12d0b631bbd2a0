import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { EntityManager } from 'typeorm';
import { PublishService, type Published } from '../artifacts/publish.service.js';
import type { RequestContext } from '../auth/decorators.js';
import { DomainError } from '../common/errors.js';
import { endWithClient, guardFilePart, multipartInvalid, multipartParser } from '../common/multipart.js';
import type { Artifact } from '../database/entities/artifact.entity.js';
import { ArtifactMetadata } from '../database/entities/artifact-metadata.entity.js';
import { normalizePypiName } from '../products/package-key.js';
import type { StagedBlob } from '../storage/blob-store.js';
import { readCoreMetadata } from './core-metadata.js';
import { parseDistribution, type Distribution } from './distribution.js';
import { isSpecifierSet, semverOfPep440 } from './pep440.js';
import { UploadForm } from './upload-form.js';
import { UploadInspector } from './upload-inspector.js';

/** Fields twine sends can be large (`description` is the README) but are read only up to this. */
const FIELD_LIMIT = 1024 * 1024;
const LIMITS = { fieldSize: FIELD_LIMIT, fields: 10_000, files: 8, parts: 10_010 };

const malformed = (detail: string) => new DomainError(400, 'BODY_INVALID', detail);
const contentMissing = () => new DomainError(400, 'CONTENT_MISSING', 'The content part (the file) is missing', { parameter: 'content' });

export interface UploadOutcome {
  status: 200 | 201;
  published: Published;
}

/**
 * twine's legacy upload API (SPEC §6.1) over the core's publish use case. The multipart body is
 * streamed: the `content` part goes to the core as it arrives, through a pass-through that
 * computes the declared digests and reads a wheel's METADATA. Name and version come from the
 * filename first, so the file never waits in memory for fields that follow it; the fields are
 * checked against the filename as soon as they are known, and once more when the form has ended,
 * in the core's `verify` (which refuses the upload and keeps nothing).
 */
@Injectable()
export class PypiUploadService {
  constructor(private readonly publisher: PublishService) {}

  upload(ctx: RequestContext, req: Request, productRef?: string): Promise<UploadOutcome> {
    if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? '')) {
      throw new DomainError(400, 'BODY_INVALID', 'The upload must be multipart/form-data, as twine sends it');
    }
    const parser = multipartParser(req, LIMITS);
    const form = new UploadForm();
    let ended!: () => void;
    let broken!: (error: DomainError) => void;
    const formEnded = new Promise<void>((resolve, reject) => ((ended = resolve), (broken = reject)));
    formEnded.catch(() => undefined);

    return new Promise<UploadOutcome>((resolve, reject) => {
      let publishing: Promise<Published> | null = null;
      // Set when the body could not be parsed: the reason a publish that failed on its stream failed.
      let unreadable: DomainError | null = null;
      const fail = (error: unknown) => {
        // The rest of the body is read and dropped, so the client gets to read the answer.
        req.unpipe(parser);
        req.resume();
        reject(error);
      };
      parser.on('field', (name, value, info) => form.add(name, value, info.valueTruncated));
      parser.on('file', (name, part, info) => {
        const stream = guardFilePart(part);
        if (name !== 'content' || publishing) {
          if (name === 'content') form.refuse(malformed('The form has more than one content part'));
          stream.resume();
          return;
        }
        publishing = this.publishContent(ctx, form, stream, info.filename ?? '', formEnded, productRef);
        publishing.then(
          (published) => resolve({ status: published.created ? 201 : 200, published }),
          (error: unknown) => {
            stream.resume();
            fail(error instanceof DomainError ? error : (unreadable ?? error));
          },
        );
      });
      for (const limit of ['fieldsLimit', 'filesLimit', 'partsLimit'] as const) {
        parser.on(limit, () => form.refuse(malformed(`The form has too many ${limit.replace('Limit', '')}`)));
      }
      parser.on('close', () => {
        ended();
        if (!publishing) fail(contentMissing());
      });
      parser.on('error', (cause: Error) => {
        unreadable = multipartInvalid(`it is malformed or ended early (${cause.message})`);
        broken(unreadable);
        if (!publishing) fail(unreadable);
      });
      endWithClient(req, parser);
      req.pipe(parser);
    });
  }

  private async publishContent(
    ctx: RequestContext,
    form: UploadForm,
    stream: Readable,
    filename: string,
    formEnded: Promise<void>,
    productRef?: string,
  ): Promise<Published> {
    const dist = parseDistribution(filename, form.get('name'));
    form.check(dist, false);
    // Fields sent first (as twine does) say which digests to compute; otherwise all are.
    const fieldsFirst = form.get('name') !== undefined && form.get('version') !== undefined;
    const inspector = await UploadInspector.create({
      md5: !fieldsFirst || form.declares('md5_digest'),
      blake2: !fieldsFirst || form.declares('blake2_256_digest'),
      wheel: dist.kind === 'wheel',
    });
    const name = form.get('name') ?? dist.name;
    let metadata: { content: Buffer | null; requiresPython: string | null } = { content: null, requiresPython: null };
    return this.publisher.publish(ctx, {
      engine: 'pypi',
      packageKey: name,
      packageName: name,
      productRef,
      version: dist.semver,
      filename: dist.filename,
      bytes: pipeline(stream, inspector, () => undefined),
      duplicates: 'identical',
      keepFilenames: true,
      verify: async (staged) => {
        await formEnded;
        form.check(dist, true);
        if (semverOfPep440(form.get('version')!) !== dist.semver) throw malformed(`The filename ${dist.filename} does not match the version given in the form`);
        if (normalizePypiName(form.get('name')!) !== normalizePypiName(name)) throw malformed(`The filename ${dist.filename} does not match the project name`);
        form.assertDigests({ sha256: staged.sha256, ...inspector.digests() });
        metadata = inspector.wheel ? this.wheelMetadata(inspector, dist) : { content: null, requiresPython: form.get('requires_python') || null };
        assertSize(staged);
      },
      attach: (manager, artifact) => this.attachMetadata(manager, artifact, metadata),
    });
  }

  /** The wheel's METADATA, which must describe the wheel its filename names. */
  private wheelMetadata(inspector: UploadInspector, dist: Distribution): { content: Buffer; requiresPython: string | null } {
    const content = inspector.wheel!.finish();
    const fields = readCoreMetadata(content);
    const invalid = (detail: string) => new DomainError(400, 'METADATA_INVALID', detail, { parameter: 'content' });
    const distInfo = inspector.wheel!.distInfo!;
    if (normalizePypiName(distInfo.split('-')[0]) !== normalizePypiName(dist.name)) throw invalid(`The wheel's ${distInfo} directory does not belong to ${dist.name}`);
    if (!fields.name || normalizePypiName(fields.name) !== normalizePypiName(dist.name)) throw invalid(`The wheel's METADATA names another project (${fields.name ?? 'none'})`);
    if (!fields.version || semverOfPep440(fields.version) !== dist.semver) throw invalid(`The wheel's METADATA gives another version (${fields.version ?? 'none'})`);
    if (fields.requiresPython && !isSpecifierSet(fields.requiresPython)) throw invalid(`The wheel's Requires-Python ${fields.requiresPython} is not a valid version specifier`);
    return { content, requiresPython: fields.requiresPython };
  }

  private async attachMetadata(manager: EntityManager, artifact: Artifact, metadata: { content: Buffer | null; requiresPython: string | null }): Promise<void> {
    if (!metadata.content && !metadata.requiresPython) return;
    await manager.getRepository(ArtifactMetadata).insert({
      artifactId: artifact.id,
      accountId: artifact.accountId,
      requiresPython: metadata.requiresPython,
      content: metadata.content,
      sha256: metadata.content ? createHash('sha256').update(metadata.content).digest('hex') : null,
    });
  }
}

/** An empty file is no distribution. */
function assertSize(staged: StagedBlob): void {
  if (staged.size === 0) throw new DomainError(400, 'CONTENT_INVALID', 'The uploaded file is empty', { parameter: 'content' });
}
