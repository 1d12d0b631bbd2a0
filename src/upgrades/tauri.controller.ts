import { Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Ctx, Public, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { SignedUrls } from '../storage/signed-urls.js';
import { TAURI_UPDATE_SCHEMA, TauriService, type TauriUpdate } from './tauri.service.js';
import { ApiDoc, none } from '../openapi/operation.js';

type Raw = Record<string, unknown>;

/** The Tauri updater's endpoint (SPEC §6.2): 204 for "no update", else exactly the five fields. */
@AccountRoute('engines/tauri', 'engines')
@Public()
export class TauriController {
  constructor(
    private readonly tauri: TauriService,
    private readonly urls: SignedUrls,
  ) {}

  @Get(':package')
  @ApiDoc({
    success: {
      200: { description: 'An update: plain JSON, never compressed', body: { kind: 'raw', content: { 'application/json': { schema: TAURI_UPDATE_SCHEMA } } } },
      204: { description: 'No update (also when the caller may not see a newer release)', body: none },
    },
    query: [
      { name: 'platform', description: 'The updater’s {{target}}: darwin, linux, windows, or a target triple', required: true },
      { name: 'arch', description: 'The updater’s {{arch}}: x86_64, aarch64, i686, armv7, riscv64', required: true },
      { name: 'version', description: 'The updater’s {{current_version}} (a space is read as +)', required: true },
      { name: 'channel', description: 'A channel set (default: the current release’s channel)' },
      { name: 'constraint', description: 'As for upgrades: Keygen form or an npm range' },
      { name: 'bundle_type', description: 'The updater’s {{bundle_type}}: nsis, msi, appimage, deb, rpm' },
    ],
    errors: 'json',
  })
  @ApiOperation({ summary: 'Tauri update check: ?platform=&arch=&version=[&channel=][&constraint=][&bundle_type=] → 200 {version,url,signature,pub_date,notes} or 204' })
  async check(@Ctx() ctx: RequestContext, @Param('package') pkg: string, @Query() raw: Raw, @Req() req: Request, @Res() res: Response) {
    writeUpdate(res, await this.tauri.check(ctx, pkg, raw, this.urls.origin(req), req.method !== 'HEAD'));
  }
}

/** Plain JSON, never compressed or transformed on the way (the updater parses it as is). */
export function writeUpdate(res: Response, update: TauriUpdate | null): void {
  res.setHeader('Cache-Control', 'no-store, no-transform');
  if (!update) {
    res.status(204).end();
    return;
  }
  res.status(200).type('application/json').send(JSON.stringify(update));
}
