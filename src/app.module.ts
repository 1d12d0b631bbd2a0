import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { AccountsModule } from './accounts/accounts.module.js';
import { ArtifactsModule } from './artifacts/artifacts.module.js';
import { AuthModule } from './auth/auth.module.js';
import { KeyshelfExceptionFilter } from './common/exception.filter.js';
import { HotPathModule } from './hot-path/hot-path.module.js';
import { InFlightHandlers } from './common/in-flight.js';
import { JsonBodyMiddleware } from './common/json-body.middleware.js';
import { JsonApiInterceptor } from './common/jsonapi.interceptor.js';
import { CoreModule, type Runtime } from './core.module.js';
import { EnginesModule } from './engines/engines.module.js';
import { EventsModule } from './events/events.module.js';
import { GenericModule } from './generic/generic.module.js';
import { HealthModule } from './health/health.module.js';
import { LicensingModule } from './licensing/licensing.module.js';
import { ProductsModule } from './products/products.module.js';
import { PypiModule } from './pypi/pypi.module.js';
import { PypiPathMiddleware } from './pypi/pypi-path.middleware.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { ReleasesModule } from './releases/releases.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { UpgradesModule } from './upgrades/upgrades.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule implements NestModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(runtime),
        // Before AuthModule: global guards run in the order their modules are scanned, and the
        // rate limiter must refuse before any query (SPEC §8.4).
        RateLimitModule,
        AuthModule,
        AccountsModule,
        UsersModule,
        TokensModule,
        EventsModule,
        HealthModule,
        ProductsModule,
        EnginesModule,
        LicensingModule,
        StorageModule,
        ReleasesModule,
        ArtifactsModule,
        UpgradesModule,
        PypiModule,
        GenericModule,
        HotPathModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: KeyshelfExceptionFilter },
        InFlightHandlers,
        { provide: APP_INTERCEPTOR, useExisting: InFlightHandlers },
        { provide: APP_INTERCEPTOR, useClass: JsonApiInterceptor },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // The PyPI routes' normalizing redirects, 405s and plain-text error style come before anything else (SPEC §6.1).
    consumer.apply(PypiPathMiddleware, JsonBodyMiddleware).forRoutes('*');
  }
}
