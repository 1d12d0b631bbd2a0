import { Get, Param, Query, Req } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { serializeRelease } from '../releases/release.serializer.js';
import { UpgradesService, type Upgrade } from './upgrades.service.js';
import { ApiDoc, type Body } from '../openapi/operation.js';
import { NARROWING, UPGRADE_PARAMETERS } from '../openapi/parameters.js';
import { string } from '../openapi/schema.js';

type Raw = Record<string, unknown>;

/** SPEC §5: the greatest upgrade, with the current and next versions in meta; none → 404. */
const UPGRADE: Body = {
  kind: 'one',
  types: ['releases'],
  meta: {
    type: 'object',
    required: ['current', 'next'],
    additionalProperties: false,
    properties: { current: string({ examples: ['1.0.0'] }), next: string({ examples: ['1.1.0'] }) },
  },
};

export const upgradeDocument = ({ current, next }: Upgrade) =>
  new JsonApiDocument({ data: serializeRelease(next), meta: { current: current.version, next: next.version } });

/**
 * SPEC §5. `actions/upgrade` is declared before `:id/upgrade`, which would otherwise take
 * `actions` for a release id.
 */
@AccountRoute('releases', 'releases')
@Public()
export class UpgradesController {
  constructor(private readonly upgrades: UpgradesService) {}

  @Get('actions/upgrade')
  @ApiDoc({ body: UPGRADE, query: [{ name: 'version', description: 'The installed version', required: true }, ...UPGRADE_PARAMETERS.filter((q) => !NARROWING.includes(q)), ...NARROWING] })
  @ApiOperation({ summary: 'The greatest visible upgrade of ?product=&version= (options: package, channel, constraint); meta.current and meta.next' })
  async fromVersion(@Ctx() ctx: RequestContext, @Query() raw: Raw, @Req() req: Request) {
    return upgradeDocument(await this.upgrades.fromVersion(ctx, raw, req.method !== 'HEAD'));
  }

  @Get(':id/upgrade')
  @ApiDoc({ body: UPGRADE, query: UPGRADE_PARAMETERS })
  @ApiOperation({ summary: 'The greatest visible upgrade of a release (options: channel, constraint, product, package); meta.current and meta.next' })
  async fromRelease(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    return upgradeDocument(await this.upgrades.fromRelease(ctx, id, raw, req.method !== 'HEAD'));
  }
}
