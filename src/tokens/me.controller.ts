import { Get } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../auth/decorators.js';
import { AccountRoute } from '../common/account-route.js';
import { JsonApiDocument, type ResourceObject } from '../common/jsonapi.js';
import { serializeLicense } from '../licensing/serializers.js';
import { serializeProduct } from '../products/product.serializer.js';
import { serializeUser } from '../users/user.serializer.js';
import { ApiDoc, one } from '../openapi/operation.js';

@AccountRoute('me', 'tokens')
export class MeController {
  @Get()
  @ApiOperation({ summary: 'The current bearer: a user, product or license document' })
  @ApiDoc({ body: one('users', 'products', 'licenses') })
  show(@Ctx() ctx: RequestContext) {
    return new JsonApiDocument({ data: currentBearer(ctx) });
  }
}

function currentBearer({ bearer }: RequestContext): ResourceObject {
  switch (bearer.kind) {
    case 'user':
      return serializeUser(bearer.user);
    case 'product':
      return serializeProduct(bearer.product);
    case 'license':
      return serializeLicense(bearer.license);
    case 'anonymous':
      throw new Error('unreachable: /me is not a public route');
  }
}
