import { Injectable, type MiddlewareConsumer, Module, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { stateOf } from '../common/request-context.js';
import { EventsModule } from '../events/events.module.js';
import { ProductsModule } from '../products/products.module.js';
import { TauriService } from './tauri.service.js';
import { TauriController } from './tauri.controller.js';
import { UpgradesController } from './upgrades.controller.js';
import { UpgradesService } from './upgrades.service.js';

/** The Tauri route answers its errors as plain JSON, from the guard's on (SPEC §1.3, §6.2). */
@Injectable()
class TauriErrorStyle implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    stateOf(req).errorStyle = 'json';
    next();
  }
}

@Module({
  imports: [EventsModule, ProductsModule],
  controllers: [UpgradesController, TauriController],
  providers: [UpgradesService, TauriService],
})
export class UpgradesModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TauriErrorStyle).forRoutes(TauriController);
  }
}
