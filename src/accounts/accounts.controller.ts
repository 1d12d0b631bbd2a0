import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, Ctx, type RequestContext } from '../auth/decorators.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { serializeAccount } from './account.serializer.js';

@ApiTags('accounts')
@Controller('v1/accounts/:account')
export class AccountsController {
  @Get()
  @Allow('admin', 'developer', 'read-only')
  @ApiOperation({ summary: 'Show the account (staff)' })
  show(@Ctx() ctx: RequestContext) {
    return new JsonApiDocument({ data: serializeAccount(ctx.account) });
  }
}
