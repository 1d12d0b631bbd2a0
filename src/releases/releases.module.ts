import { Module } from '@nestjs/common';
import { EnginesModule } from '../engines/engines.module.js';
import { EventsModule } from '../events/events.module.js';
import { LicensingModule } from '../licensing/licensing.module.js';
import { ProductsModule } from '../products/products.module.js';
import { ReleaseConstraintsService } from './release-constraints.service.js';
import { ReleasesController } from './releases.controller.js';
import { ReleasesService } from './releases.service.js';

@Module({
  imports: [EventsModule, ProductsModule, EnginesModule, LicensingModule],
  controllers: [ReleasesController],
  providers: [ReleasesService, ReleaseConstraintsService],
  exports: [ReleasesService],
})
export class ReleasesModule {}
