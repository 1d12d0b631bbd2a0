import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { PypiModule } from '../pypi/pypi.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UpgradesModule } from '../upgrades/upgrades.module.js';
import { HotPath } from './hot-path.js';

/** The hot GET routes served before Nest's pipeline (see HotPath); mounted by createApp. */
@Module({
  imports: [RateLimitModule, AuthModule, PypiModule, UpgradesModule],
  providers: [HotPath],
  exports: [HotPath],
})
export class HotPathModule {}
