import { Module } from '@nestjs/common';
import { EnginesModule } from '../engines/engines.module.js';
import { EventsModule } from '../events/events.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { PackagesController } from './packages.controller.js';
import { PackagesService } from './packages.service.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';

@Module({
  imports: [EventsModule, EnginesModule, TokensModule],
  controllers: [ProductsController, PackagesController],
  providers: [ProductsService, PackagesService],
  exports: [ProductsService, PackagesService],
})
export class ProductsModule {}
