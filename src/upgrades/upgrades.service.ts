import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RequestContext } from '../auth/decorators.js';
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
  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
  ) {}

  /** GET /releases/{id|version|tag}/upgrade */
  async fromRelease(ctx: RequestContext, ref: string, raw: Record<string, unknown>, record: boolean): Promise<Upgrade> {
    const parameters = readParameters(raw, OPTIONS);
    const options = upgradeOptions(parameters);
    const current = await findRelease(this.db.manager, ctx, ref, narrowing(parameters));
    return this.upgrade(ctx, current, options, record);
  }

  /** GET /releases/actions/upgrade?product=&package=&version= */
  async fromVersion(ctx: RequestContext, raw: Record<string, unknown>, record: boolean): Promise<Upgrade> {
    const parameters = readParameters(raw, [...OPTIONS, 'version']);
    const options = upgradeOptions(parameters);
    required(parameters, 'product');
    const current = await findVersion(this.db.manager, ctx, required(parameters, 'version'), narrowing(parameters));
    return this.upgrade(ctx, current, options, record);
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
    await this.events.record(this.db.manager, ctx, 'release.upgraded', { type: 'releases', id: next.id }, { current: current.version, next: next.version });
  }

  private async upgrade(ctx: RequestContext, current: Release | null, options: UpgradeOptions, record: boolean): Promise<Upgrade> {
    if (!current) throw Errors.notFound('release');
    const next = await nextUpgrade(this.db.manager, ctx, this.criteria(current, options));
    if (!next) throw noUpgrade();
    if (record) await this.recordUpgrade(ctx, current, next);
    return { current, next };
  }
}

const narrowing = (parameters: ReleaseNarrowing): ReleaseNarrowing => ({ product: parameters.product, package: parameters.package });
