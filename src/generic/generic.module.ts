import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { stateOf } from '../common/request-context.js';
import { ProductsModule } from '../products/products.module.js';
import { ReleasesModule } from '../releases/releases.module.js';
import { GenericController } from './generic.controller.js';
import { GenericService } from './generic.service.js';

/** curl users are prompted for credentials by a Basic challenge on 401 (SPEC §1.5); errors stay JSON:API. */
function basicChallenge(req: Request, _res: Response, next: NextFunction): void {
  stateOf(req).challenge = 'Basic';
  next();
}

@Module({
  imports: [ArtifactsModule, ReleasesModule, ProductsModule],
  controllers: [GenericController],
  providers: [GenericService],
})
export class GenericModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(basicChallenge).forRoutes(GenericController);
  }
}
