import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { ProductsModule } from '../products/products.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersModule } from '../users/users.module.js';
import { EntitlementLinks } from './entitlement-links.js';
import { EntitlementsController } from './entitlements.controller.js';
import { EntitlementsService } from './entitlements.service.js';
import { LicensesController } from './licenses.controller.js';
import { LicensesService } from './licenses.service.js';
import { PoliciesController } from './policies.controller.js';
import { PoliciesService } from './policies.service.js';
import { ValidateKeyService } from './validate-key.service.js';

@Module({
  imports: [EventsModule, ProductsModule, TokensModule, UsersModule],
  controllers: [EntitlementsController, PoliciesController, LicensesController],
  providers: [EntitlementsService, PoliciesService, LicensesService, EntitlementLinks, ValidateKeyService],
  exports: [EntitlementsService, LicensesService, EntitlementLinks],
})
export class LicensingModule {}
