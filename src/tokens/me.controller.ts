import { Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { AccountRoute } from '../common/account-route.js';
import { Ctx, type RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { JsonApiDocument } from '../common/jsonapi.js';
import { serializeUser } from '../users/user.serializer.js';

@AccountRoute('me', 'tokens')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'The current bearer' })
  show(@Ctx() ctx: RequestContext) {
    if (ctx.bearer.kind !== 'user') throw Errors.notFound('bearer');
    return new JsonApiDocument({ data: serializeUser(ctx.bearer.user) });
  }
}
