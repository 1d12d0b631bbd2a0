import { Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { serializeRelease } from '../releases/release.serializer.js';
import { SignedUrls } from '../storage/signed-urls.js';
import { TauriService, type TauriUpdate } from './tauri.service.js';
import { UpgradesService, type Upgrade } from './upgrades.service.js';

type Raw = Record<string, unknown>;

const upgradeDocument = ({ current, next }: Upgrade) =>
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
  @ApiOperation({ summary: 'The greatest visible upgrade of ?product=&version= (options: package, channel, constraint); meta.current and meta.next' })
  async fromVersion(@Ctx() ctx: RequestContext, @Query() raw: Raw, @Req() req: Request) {
    return upgradeDocument(await this.upgrades.fromVersion(ctx, raw, req.method !== 'HEAD'));
  }

  @Get(':id/upgrade')
  @ApiOperation({ summary: 'The greatest visible upgrade of a release (options: channel, constraint, product, package); meta.current and meta.next' })
  async fromRelease(@Ctx() ctx: RequestContext, @Param('id') id: string, @Query() raw: Raw, @Req() req: Request) {
    return upgradeDocument(await this.upgrades.fromRelease(ctx, id, raw, req.method !== 'HEAD'));
  }
}

/** The Tauri updater's endpoint (SPEC §6.2): 204 for "no update", else exactly the five fields. */
@AccountRoute('engines/tauri', 'engines')
@Public()
export class TauriController {
  constructor(
    private readonly tauri: TauriService,
    private readonly urls: SignedUrls,
  ) {}

  @Get(':package')
  @ApiOperation({ summary: 'Tauri update check: ?platform=&arch=&version=[&channel=][&constraint=][&bundle_type=] → 200 {version,url,signature,pub_date,notes} or 204' })
  async check(@Ctx() ctx: RequestContext, @Param('package') pkg: string, @Query() raw: Raw, @Req() req: Request, @Res() res: Response) {
    answer(res, await this.tauri.check(ctx, pkg, raw, this.urls.origin(req), req.method !== 'HEAD'));
  }
}

/** Plain JSON, never compressed or transformed on the way (the updater parses it as is). */
function answer(res: Response, update: TauriUpdate | null): void {
  res.setHeader('Cache-Control', 'no-store, no-transform');
  if (!update) {
    res.status(204).end();
    return;
  }
  res.status(200).type('application/json').send(JSON.stringify(update));
}
