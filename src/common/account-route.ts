import { applyDecorators, Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

/** A controller under /v1/accounts/{account} (SPEC §1.1), documented as such in OpenAPI (see src/openapi). */
export function AccountRoute(path: string, tag: string): ClassDecorator {
  return applyDecorators(Controller(path ? `v1/accounts/:account/${path}` : 'v1/accounts/:account'), ApiTags(tag));
}
