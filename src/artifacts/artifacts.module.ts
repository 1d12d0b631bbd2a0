import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { ReleasesModule } from '../releases/releases.module.js';
import { ArtifactTransfer } from './artifact-transfer.service.js';
import { ArtifactsController, ReleaseArtifactsController } from './artifacts.controller.js';
import { ArtifactsService } from './artifacts.service.js';
import { StorageController } from './storage.controller.js';

@Module({
  imports: [EventsModule, ReleasesModule],
  controllers: [ArtifactsController, ReleaseArtifactsController, StorageController],
  providers: [ArtifactsService, ArtifactTransfer],
  exports: [ArtifactsService, ArtifactTransfer],
})
export class ArtifactsModule {}
