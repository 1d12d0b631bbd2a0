import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { accountSerial, answerScope } from '../auth/access/answer-cache.js';
import type { RequestContext } from '../auth/decorators.js';
import { SerialCache } from '../database/change-serials.js';
import { DomainError, Errors } from '../common/errors.js';
import type { Release } from '../database/entities/release.entity.js';
import { EventsService } from '../events/events.service.js';
import { channelSet, findRelease, type ReleaseNarrowing } from '../releases/release-queries.js';
import { readParameters, required, upgradeOptions, type UpgradeOptions } from './upgrade-params.js';
import { findVersion, nextUpgrade, type UpgradeCriteria } from './upgrade-queries.js';

export interface Upgrade {
  current: Release;
  next: Release;
}

const OPTIONS = ['channel', 'constraint', 'product', 'package'] as const;
const noUpgrade = () => new DomainError(404, 'NOT_FOUND', 'No upgrade is available for this release');

/** The upgrade lookup of SPEC §5: from a release the bearer sees to the greatest newer one. */
@Injectable()
export class UpgradesService {
  /**
   * Lookups already answered, per bearer scope and request, under the account's change serials:
   * installed software polls with the same question, and the answer changes only with a write.
   */
  private readonly answers = new SerialCache<{ current: Release | null; next: Release | null }>(10_000);

  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  /** GET /releases/{id|version|tag}/upgrade */
  async fromRelease(ctx: RequestContext, ref: string, raw: Record<string, unknown>, record: boolean): Promise<Upgrade> {
    const parameters = readParameters(raw, OPTIONS);
    const options = upgradeOptions(parameters);
    return this.upgrade(ctx, ['release', ref, parameters], () => findRelease(this.db.manager, ctx, ref, narrowing(parameters)), options, record);
  }

  /** GET /releases/actions/upgrade?product=&package=&version= */
  async fromVersion(ctx: RequestContext, raw: Record<string, unknown>, record: boolean): Promise<Upgrade> {
    const parameters = readParameters(raw, [...OPTIONS, 'version']);
    const options = upgradeOptions(parameters);
    required(parameters, 'product');
    const version = required(parameters, 'version');
    return this.upgrade(ctx, ['version', parameters], () => findVersion(this.db.manager, ctx, version, narrowing(parameters)), options, record);
  }

  /** Step 2's criteria for a current release: the channel set defaults to its own channel's. */
  criteria(current: Release, options: UpgradeOptions): UpgradeCriteria {
    return { current, channels: options.channels ?? channelSet(current.channel), constraint: options.constraint };
  }

  /**
   * `release.upgraded` (SPEC §8.3), as Keygen records it when it serves an upgrade: the next
   * release, by the bearer who asked, with both versions.
   */
  async recordUpgrade(ctx: RequestContext, current: Release, next: Release): Promise<void> {
    await this.events.recordRead(ctx, 'release.upgraded', { type: 'releases', id: next.id }, { current: current.version, next: next.version });
  }

  private async upgrade(
    ctx: RequestContext,
    question: unknown[],
    findCurrent: () => Promise<Release | null>,
    options: UpgradeOptions,
    record: boolean,
  ): Promise<Upgrade> {
    const scope = answerScope(ctx);
    const serial = accountSerial(ctx);
    const key = scope === null ? null : `${scope}|${JSON.stringify(question)}`;
    let answer = key === null || serial === null ? undefined : this.answers.get(key, serial);
    if (!answer) {
      const current = await findCurrent();
      const next = current ? await nextUpgrade(this.db.manager, ctx, this.criteria(current, options)) : null;
      answer = { current, next };
      if (key !== null && serial !== null) this.answers.set(key, serial, answer);
    }
    const { current, next } = answer;
    if (!current) throw Errors.notFound('release');
    if (!next) throw noUpgrade();
    if (record) await this.recordUpgrade(ctx, current, next);
    return { current, next };
  }
}

const narrowing = (parameters: ReleaseNarrowing): ReleaseNarrowing => ({ product: parameters.product, package: parameters.package });
