import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller.js';
import { AccountsRepository } from './accounts.repository.js';
import { BootstrapService } from './bootstrap.service.js';

@Module({
  controllers: [AccountsController],
  providers: [AccountsRepository, BootstrapService],
  exports: [AccountsRepository],
})
export class AccountsModule {}
