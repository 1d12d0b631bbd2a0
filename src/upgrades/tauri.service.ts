import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { accountSerial, answerScope } from '../auth/access/answer-cache.js';
import type { RequestContext } from '../auth/decorators.js';
import { SerialCache } from '../database/change-serials.js';
import { DomainError, Errors } from '../common/errors.js';
import { accountPath } from '../common/jsonapi.js';
import { LOGGER } from '../common/logger.js';
import type { Artifact } from '../database/entities/artifact.entity.js';
import type { Release } from '../database/entities/release.entity.js';
import { PackagesService } from '../products/packages.service.js';
import { BLOB_STORE, type BlobStore } from '../storage/blob-store.js';
import { updaterFormats } from './tauri-formats.js';
import { bestArtifact, installableUpgrade, signatureFileKey, type UpdaterTarget } from './tauri-queries.js';
import { MAX_SIGNATURE_BYTES, updaterSignature } from './tauri-signature.js';
import { readParameters, required, upgradeOptions, type UpgradeOptions } from './upgrade-params.js';
import { findVersion } from './upgrade-queries.js';
import { UpgradesService } from './upgrades.service.js';
import { dateTime, string, type Schema } from '../openapi/schema.js';

/** The Tauri updater's "dynamic server" answer: exactly these fields (SPEC §6.2). */
/** The updater's answer, for the OpenAPI document: exactly these five fields (SPEC §6.2). */
export const TAURI_UPDATE_SCHEMA: Schema = {
  type: 'object',
  required: ['version', 'url', 'signature', 'pub_date', 'notes'],
  additionalProperties: false,
  properties: {
    version: string({ examples: ['1.1.0'] }),
    url: string({ description: 'Absolute vanity URL of the artifact', examples: ['https://keyshelf.example/v1/accounts/acme/artifacts/4f9a2c1e-8b3d-4e6f-9a1b-2c3d4e5f6a7b/app.app.tar.gz'] }),
    signature: string({ minLength: 1, description: 'The minisign signature, base64 as the Tauri CLI writes it', examples: ['dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkK…'] }),
    pub_date: dateTime(),
    notes: string({ description: 'The release description, or ""', examples: ['Bug fixes'] }),
  },
};

export interface TauriUpdate {
  version: string;
  url: string;
  signature: string;
  pub_date: string;
  notes: string;
}

const PARAMETERS = ['platform', 'arch', 'version', 'channel', 'constraint', 'bundle_type'] as const;

/**
 * GET /engines/tauri/{package}: a protocol adapter over the upgrade lookup. It finds the current
 * release and the candidates exactly as SPEC §5 does, and adds only what the updater needs: an
 * installable, signed file for the caller's platform.
 */
interface Found {
  current: Release;
  next: Release;
  artifact: Artifact;
  signature: string;
}

@Injectable()
export class TauriService {
  /** Update checks already answered, per bearer scope and question, under the account's change serials (as upgrade lookups). */
  private readonly answers = new SerialCache<{ found: Found | null }>(10_000);

  constructor(
    private readonly db: DataSource,
    private readonly packages: PackagesService,
    private readonly upgrades: UpgradesService,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The update to offer, or null for "no update" (204). `origin` is where URLs point (PUBLIC_URL
   * or the request's own scheme and host). `record` is false for HEAD, which serves nothing.
   */
  async check(ctx: RequestContext, packageRef: string, raw: Record<string, unknown>, origin: string, record: boolean): Promise<TauriUpdate | null> {
    const parameters = readParameters(raw, PARAMETERS, true);
    const platform = required(parameters, 'platform');
    const target: UpdaterTarget = {
      platform: platform.toLowerCase(),
      arch: required(parameters, 'arch').toLowerCase(),
      formats: updaterFormats(platform, parameters.bundle_type),
    };
    // Older clients send the version's `+` unencoded, which a query string reads as a space.
    const version = required(parameters, 'version').replace(/ /g, '+');
    const options = upgradeOptions(parameters);
    const scope = answerScope(ctx);
    const serial = accountSerial(ctx);
    const key = scope === null ? null : `${scope}|${packageRef}|${JSON.stringify([target, version, parameters])}`;
    let answer = key === null || serial === null ? undefined : this.answers.get(key, serial);
    if (!answer) {
      const pkg = await this.packages.find(ctx, packageRef);
      if (pkg.engine !== 'tauri') throw Errors.notFound('package');
      answer = { found: await this.lookup(ctx, pkg.id, version, options, target) };
      if (key !== null && serial !== null) this.answers.set(key, serial, answer);
    }
    if (!answer.found) return null;
    const { current, next, artifact, signature } = answer.found;
    if (record) await this.upgrades.recordUpgrade(ctx, current, next);
    return { version: next.version, url: vanityUrl(origin, artifact), signature, pub_date: publishedAt(next), notes: next.description ?? '' };
  }

  private async lookup(ctx: RequestContext, packageId: string, version: string, options: UpgradeOptions, target: UpdaterTarget): Promise<Found | null> {
    const current = await findVersion(this.db.manager, ctx, version, { package: packageId });
    if (!current) return null;
    const next = await installableUpgrade(this.db.manager, ctx, this.upgrades.criteria(current, options), target);
    if (!next) return null;
    const artifact = await bestArtifact(this.db.manager, ctx, next, target);
    const signature = artifact && (await this.signatureOf(artifact));
    if (!artifact || !signature) return null;
    return { current, next, artifact, signature };
  }

  /** The artifact's own signature, else its `.sig` file's content, as the updater takes it. */
  private async signatureOf(artifact: Artifact): Promise<string | null> {
    const own = artifact.signature === null ? null : updaterSignature(artifact.signature);
    if (own) return own;
    const key = await signatureFileKey(this.db.manager, artifact);
    const signature = key === null ? null : updaterSignature(await this.readSmall(key));
    // Blank .sig files are the only signed-looking files the query cannot tell apart; say so.
    if (!signature) this.logger.warn({ artifact: artifact.id }, 'tauri: the .sig file of the chosen artifact is blank; no update offered');
    return signature;
  }

  private async readSmall(key: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of await this.store.open(key)) {
      size += (chunk as Buffer).length;
      if (size > MAX_SIGNATURE_BYTES) throw new DomainError(500, 'INTERNAL_ERROR', 'A signature file is larger than its record says');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** The artifact's vanity URL (SPEC §3.5), which the updater GETs with the check's headers. */
function vanityUrl(origin: string, artifact: Artifact): string {
  const filename = artifact.filename.split('/').map(encodeURIComponent).join('/');
  return `${origin}${accountPath(artifact.accountId)}/artifacts/${artifact.id}/${filename}`;
}

/** RFC 3339 with `T` and `Z`, as the updater parses it: `backdated`, else `created`. */
function publishedAt(release: Release): string {
  return (release.backdated ?? release.createdAt).toISOString();
}
