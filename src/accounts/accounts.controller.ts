import { Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountRoute } from '../common/account-route.js';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { serializeAccount } from './account.serializer.js';
import { ApiDoc, one } from '../openapi/operation.js';

@AccountRoute('', 'accounts')
export class AccountsController {
  @Get()
  @Allow('admin', 'developer', 'read-only')
  @ApiOperation({ summary: 'Show the account (staff)' })
  @ApiDoc({ body: one('accounts') })
  show(@Ctx() ctx: RequestContext) {
    return new JsonApiDocument({ data: serializeAccount(ctx.account) });
  }
}
