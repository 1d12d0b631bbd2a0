import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimits } from './rate-limits.service.js';

/** SPEC §8.4. Imported before AuthModule: global guards run in the order their modules are scanned. */
@Module({
  providers: [RateLimits, RateLimitGuard, { provide: APP_GUARD, useExisting: RateLimitGuard }],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
