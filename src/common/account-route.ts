import { applyDecorators, Controller } from '@nestjs/common';
import { ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'When the window ends, in epoch seconds', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
};

/** A controller under /v1/accounts/{account} (SPEC §1.1), documented as such in OpenAPI. */
export function AccountRoute(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    Controller(path ? `v1/accounts/:account/${path}` : 'v1/accounts/:account'),
    ApiTags(tag),
    ApiParam({ name: 'account', description: 'The account id or slug' }),
    ApiResponse({ status: 429, description: 'Rate limited per account and client address (RATE_LIMITED)', headers: RATE_LIMIT_HEADERS }),
  );
}
