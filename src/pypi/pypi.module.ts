import { Module } from '@nestjs/common';
import { ArtifactsModule } from '../artifacts/artifacts.module.js';
import { ProductsModule } from '../products/products.module.js';
import { PypiController, ProductPypiController } from './pypi.controller.js';
import { SimpleIndexService } from './simple-index.service.js';
import { PypiUploadService } from './upload.service.js';

/**
 * The PyPI engine (SPEC §6.1): a protocol adapter over the core's packages, releases and
 * artifacts. Its PypiPathMiddleware is applied in AppModule, ahead of the JSON body parser.
 */
@Module({
  imports: [ArtifactsModule, ProductsModule],
  controllers: [PypiController, ProductPypiController],
  providers: [SimpleIndexService, PypiUploadService],
  exports: [SimpleIndexService],
})
export class PypiModule {}
