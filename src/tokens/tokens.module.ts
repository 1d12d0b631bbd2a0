import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { PasswordStrategy } from '../auth/password.strategy.js';
import { EventsModule } from '../events/events.module.js';
import { MeController } from './me.controller.js';
import { TokensController } from './tokens.controller.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [EventsModule, PassportModule],
  controllers: [TokensController, MeController],
  providers: [TokensService, PasswordStrategy],
  exports: [TokensService],
})
export class TokensModule {}
