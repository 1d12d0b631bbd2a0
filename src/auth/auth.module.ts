import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuthGuard } from './auth.guard.js';
import { Authenticator } from './authenticator.service.js';

@Module({
  imports: [AccountsModule],
  providers: [Authenticator, AuthGuard, { provide: APP_GUARD, useExisting: AuthGuard }],
  exports: [Authenticator, AuthGuard],
})
export class AuthModule {}
