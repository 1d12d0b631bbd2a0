import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { ProductsModule } from '../products/products.module.js';
import { TauriService } from './tauri.service.js';
import { TauriController } from './tauri.controller.js';
import { UpgradesController } from './upgrades.controller.js';
import { UpgradesService } from './upgrades.service.js';

/**
 * The Tauri route's path: its errors are plain JSON, from the router and the guard on
 * (SPEC §1.3, §6.2), set before routing by the application (see errorStyleByPath).
 */
export const TAURI_PATH = /^\/v1\/accounts\/[^/]+\/engines\/tauri\/[^/]+\/?$/i;

@Module({
  imports: [EventsModule, ProductsModule],
  controllers: [UpgradesController, TauriController],
  providers: [UpgradesService, TauriService],
  exports: [UpgradesService, TauriService],
})
export class UpgradesModule {}
