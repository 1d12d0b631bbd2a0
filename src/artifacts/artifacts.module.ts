import { Module } from '@nestjs/common';
import { EnginesModule } from '../engines/engines.module.js';
import { EventsModule } from '../events/events.module.js';
import { ProductsModule } from '../products/products.module.js';
import { ReleasesModule } from '../releases/releases.module.js';
import { ArtifactTransfer } from './artifact-transfer.service.js';
import { ArtifactsController, ReleaseArtifactsController } from './artifacts.controller.js';
import { ArtifactsService } from './artifacts.service.js';
import { PublishService } from './publish.service.js';
import { StorageController } from './storage.controller.js';

@Module({
  imports: [EventsModule, ReleasesModule, ProductsModule, EnginesModule],
  controllers: [ArtifactsController, ReleaseArtifactsController, StorageController],
  providers: [ArtifactsService, ArtifactTransfer, PublishService],
  exports: [ArtifactsService, ArtifactTransfer, PublishService],
})
export class ArtifactsModule {}
