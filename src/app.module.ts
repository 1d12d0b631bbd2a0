import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { AccountsModule } from './accounts/accounts.module.js';
import { ArtifactsModule } from './artifacts/artifacts.module.js';
import { AuthModule } from './auth/auth.module.js';
import { KeyshelfExceptionFilter } from './common/exception.filter.js';
import { JsonBodyMiddleware } from './common/json-body.middleware.js';
import { JsonApiInterceptor } from './common/jsonapi.interceptor.js';
import { CoreModule, type Runtime } from './core.module.js';
import { EnginesModule } from './engines/engines.module.js';
import { EventsModule } from './events/events.module.js';
import { HealthModule } from './health/health.module.js';
import { LicensingModule } from './licensing/licensing.module.js';
import { ProductsModule } from './products/products.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { ReleasesModule } from './releases/releases.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TokensModule } from './tokens/tokens.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule implements NestModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: AppModule,
      // RateLimitModule before AuthModule: its guard runs first, before any query (SPEC §8.4).
      imports: [CoreModule.forRoot(runtime), RateLimitModule, AuthModule, AccountsModule, UsersModule, TokensModule, EventsModule, HealthModule, ProductsModule, EnginesModule, LicensingModule, StorageModule, ReleasesModule, ArtifactsModule],
      providers: [
        { provide: APP_FILTER, useClass: KeyshelfExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: JsonApiInterceptor },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes('*');
  }
}
