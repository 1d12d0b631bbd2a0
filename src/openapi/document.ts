import { HTTP_CODE_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ACCOUNT_SHAPE } from '../accounts/account.serializer.js';
import { ARTIFACT_SHAPE } from '../artifacts/artifact.serializer.js';
import type { BearerKind } from '../auth/bearer.js';
import { ALLOWED_BEARERS, PASSWORD_LOGIN, PUBLIC_ROUTE } from '../auth/decorators.js';
import { JSONAPI } from '../common/media-type.js';
import { OptionalBody, ResourceBodyPipe } from '../common/resource-body.js';
import { ENGINE_SHAPE } from '../engines/engine.serializer.js';
import { EVENT_LOG_SHAPE } from '../events/event-log.serializer.js';
import { ENTITLEMENT_SHAPE, LICENSE_SHAPE, POLICY_SHAPE } from '../licensing/serializers.js';
import { PACKAGE_SHAPE } from '../products/package.serializer.js';
import { PRODUCT_SHAPE } from '../products/product.serializer.js';
import { CONSTRAINT_SHAPE, RELEASE_SHAPE } from '../releases/release.serializer.js';
import { TOKEN_SHAPE } from '../tokens/token.serializer.js';
import { USER_SHAPE } from '../users/user.serializer.js';
import { resourceRequestSchema } from './dto-schema.js';
import { exampleOf } from './examples.js';
import { OPERATION_DOC, type Body, type OperationDoc, type QueryDoc, type SuccessDoc } from './operation.js';
import { PATH_PARAMETERS } from './parameters.js';
import { ERROR_DOCUMENT, PAGE_LINKS, PAGE_META, ref, resourceObjectSchema, type ResourceShape, type Schema } from './schema.js';

/** Every resource the JSON:API writes, by type: one serializer, one shape (SPEC §1.2). */
export const RESOURCE_SHAPES: readonly ResourceShape[] = [
  ACCOUNT_SHAPE,
  USER_SHAPE,
  TOKEN_SHAPE,
  PRODUCT_SHAPE,
  PACKAGE_SHAPE,
  ENGINE_SHAPE,
  ENTITLEMENT_SHAPE,
  POLICY_SHAPE,
  LICENSE_SHAPE,
  RELEASE_SHAPE,
  CONSTRAINT_SHAPE,
  ARTIFACT_SHAPE,
  EVENT_LOG_SHAPE,
];
const SHAPES = new Map(RESOURCE_SHAPES.map((shape) => [shape.type, shape]));

/** A pipe that can say what request body it reads (pipes other than ResourceBodyPipe). */
export interface DescribedBody {
  requestSchema(): Schema;
}
const isDescribed = (pipe: unknown): pipe is DescribedBody => typeof (pipe as DescribedBody)?.requestSchema === 'function';

const JSON_TYPES = [JSONAPI, 'application/json'];
const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed request: a bad query parameter, an unknown or read-only attribute, a wrong type (source names it)',
  401: 'No or bad credentials (TOKEN_MISSING, TOKEN_INVALID, TOKEN_EXPIRED, LICENSE_INVALID), with WWW-Authenticate',
  403: 'The bearer may not do this, or its license state forbids it (FORBIDDEN, LICENSE_SUSPENDED, LICENSE_EXPIRED, LICENSE_NOT_ALLOWED)',
  404: 'The record does not exist or is not visible to this bearer (NOT_FOUND)',
  409: 'A concurrent or duplicate write the caller cannot fix by changing its input',
  413: 'The body is over the size limit (PAYLOAD_TOO_LARGE)',
  415: 'The body is not JSON (MIME_TYPE_INVALID): send Content-Type: application/vnd.api+json or application/json',
  422: 'A well-formed request that breaks a rule (`<ATTRIBUTE>_<KIND>` codes such as VERSION_TAKEN, FILENAME_TAKEN, NAME_MISSING)',
  429: 'Rate limited (RATE_LIMITED), with Retry-After',
  503: 'A dependency (database, storage) is down (SERVICE_UNAVAILABLE)',
};

const HEADERS: Record<string, Schema> = {
  'X-Request-Id': { description: 'The request id (the client’s own when well-formed); also in error documents’ meta.id', schema: { type: 'string' } },
  Location: { description: 'See the response', schema: { type: 'string' } },
  'WWW-Authenticate': { description: '`Bearer realm="keyshelf"` on the JSON:API, `Basic realm="keyshelf"` on engine routes', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
  'X-RateLimit-Limit': { description: 'Requests allowed in the window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'When the window ends, in epoch seconds', schema: { type: 'integer' } },
};
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'A Keyshelf token (`admin_…`, `dev_…`, `ro_…`, `user_…`, `prod_…`, `lic_…`); random, not a JWT',
  },
  basic: {
    type: 'http',
    scheme: 'basic',
    description:
      'user `license` → the password is a license key; user `token` or `__token__` → the password is a token; an empty password → the user is the token ' +
      '(`https://<token>@host/…` for pip); a user with `@` → email and password (POST /tokens only); any other user with a password → the password is a token (GitLab style)',
  },
  license: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Authorization: License <key>`' },
};

type Operation = Record<string, unknown> & { parameters?: Schema[]; responses?: Record<string, Schema>; operationId?: string };
type Handler = { controller: Function; method: string };

/** Builds the OpenAPI 3.1 document of the running application (SPEC §8.2). */
export function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const base = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('Keyshelf')
      .setDescription(
        'Self-hosted software distribution: a JSON:API under `/v1/accounts/{account}` (SPEC §1), plus the PyPI, Tauri and generic engines, ' +
          'which speak their own protocols. Requests may be sent as `application/vnd.api+json` or `application/json`; the answer follows `Accept`.',
      )
      .setVersion('1')
      .build(),
    { operationIdFactory: (controller, method) => `${controller}_${method}` },
  );
  const handlers = handlerIndex(app);
  const components: Required<Pick<OpenAPIObject, 'components'>>['components'] = {
    schemas: componentSchemas(),
    securitySchemes: SECURITY_SCHEMES as never,
    headers: HEADERS as never,
  };
  const resolve = (pointer: string): Schema => {
    const name = pointer.replace('#/components/schemas/', '');
    return (components.schemas as Record<string, Schema>)[name];
  };
  for (const [path, item] of Object.entries(base.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, Operation>)) {
      const handler = handlers.get(operation.operationId ?? '');
      if (handler) documentOperation(path, method, operation, handler, components.schemas as Record<string, Schema>, resolve);
    }
  }
  return { ...base, components };
}

function handlerIndex(app: NestExpressApplication): Map<string, Handler> {
  const index = new Map<string, Handler>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Function | null;
      if (!controller) continue;
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        if (method !== 'constructor') index.set(`${controller.name}_${method}`, { controller, method });
      }
    }
  }
  return index;
}

function componentSchemas(): Record<string, Schema> {
  const schemas: Record<string, Schema> = { ErrorDocument: ERROR_DOCUMENT, PageLinks: PAGE_LINKS, PageMeta: PAGE_META };
  for (const shape of RESOURCE_SHAPES) {
    schemas[shape.name] = resourceObjectSchema(shape);
    schemas[`${shape.name}Document`] = {
      type: 'object',
      required: ['data'],
      additionalProperties: false,
      properties: { data: ref(shape.name), meta: { type: 'object' } },
    };
    schemas[`${shape.name}List`] = {
      type: 'object',
      required: ['data', 'links', 'meta'],
      additionalProperties: false,
      properties: { data: { type: 'array', items: ref(shape.name) }, links: ref('PageLinks'), meta: ref('PageMeta') },
    };
  }
  return schemas;
}

const metadataOf = <T>(key: string, { controller, method }: Handler): T | undefined =>
  Reflect.getMetadata(key, controller.prototype[method as keyof typeof controller.prototype]) ?? Reflect.getMetadata(key, controller);

function bodyPipe({ controller, method }: Handler): unknown {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { pipes?: unknown[] }>;
  const entry = Object.entries(args).find(([key]) => key.startsWith(`${RouteParamtypes.BODY}:`));
  return entry?.[1].pipes?.[0];
}

interface Context {
  path: string;
  method: string;
  handler: Handler;
  doc: OperationDoc;
  schemas: Record<string, Schema>;
  resolve: (ref: string) => Schema;
}

/** Replaces what Nest's scanner wrote for one operation with what the code says. */
function documentOperation(path: string, method: string, operation: Operation, handler: Handler, schemas: Record<string, Schema>, resolve: (ref: string) => Schema): void {
  const context: Context = { path, method, handler, doc: metadataOf<OperationDoc>(OPERATION_DOC, handler) ?? {}, schemas, resolve };
  if (context.doc.description) operation.description = context.doc.description;
  operation.parameters = parametersOf(context);
  const requestBody = requestBodyOf(context, operation.operationId ?? '');
  if (requestBody) operation.requestBody = requestBody;
  else delete operation.requestBody;
  operation.responses = responsesOf(context, !!requestBody);
  operation.security = securityOf(context);
  if (metadataOf<boolean>(PASSWORD_LOGIN, handler)) {
    operation.description = [operation.description, 'Basic credentials may be the user’s email and password here.'].filter(Boolean).join('\n\n');
  }
}

/** Every `{name}` of the path, then the query, `Prefer` where honoured, and the request id. */
function parametersOf({ path, doc }: Context): Schema[] {
  const pathNames = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
  const query: QueryDoc[] = [...(doc.query ?? [])];
  return [
    ...pathNames.map((name) => ({ name, in: 'path', required: true, description: PATH_PARAMETERS[name] ?? name, schema: { type: 'string' } })),
    ...query.map((q) => ({ name: q.name, in: 'query', required: !!q.required, description: q.description, schema: q.schema ?? { type: 'string' } })),
    ...(doc.prefer?.length
      ? [{ name: 'Prefer', in: 'header', required: false, description: `Comma-separated tokens: ${doc.prefer.map((t) => `\`${t}\``).join(', ')}`, schema: { type: 'string' } }]
      : []),
    { name: 'X-Request-Id', in: 'header', required: false, description: 'A request id of your own (kept when well-formed)', schema: { type: 'string' } },
  ];
}

/** What the route's body pipe reads, or the body its @ApiDoc describes (uploads). */
function requestBodyOf({ handler, doc, schemas, resolve }: Context, operationId: string): Schema | undefined {
  const request = requestSchemaOf(bodyPipe(handler));
  if (request) {
    const name = requestSchemaName(operationId);
    schemas[name] = request.schema;
    const example = exampleOf(request.schema, resolve);
    return { required: request.required, content: Object.fromEntries(JSON_TYPES.map((type) => [type, { schema: ref(name), example }])) };
  }
  if (doc.requestBody) return { required: doc.requestBody.required ?? true, description: doc.requestBody.description, content: doc.requestBody.content };
  return undefined;
}

/** The documented successes (or the route's default status with its body), then the errors of its kind. */
function responsesOf({ path, method, handler, doc, resolve }: Context, hasBody: boolean): Record<string, Schema> {
  const defaultStatus = Number(Reflect.getMetadata(HTTP_CODE_METADATA, handler.controller.prototype[handler.method as never]) ?? (method === 'post' ? 201 : 200));
  const success: Record<number, SuccessDoc> = doc.success ?? (doc.body ? { [defaultStatus]: { description: 'Success', body: doc.body } } : {});
  const accountRoute = path.startsWith('/v1/accounts/');
  const responses: Record<string, Schema> = {};
  for (const [status, answer] of Object.entries(success)) responses[status] = successResponse(Number(status), answer, resolve, accountRoute);
  const errors = doc.errors ?? 'jsonapi';
  const statuses = accountRoute || path.startsWith('/storage/') ? errorStatuses(method, hasBody, doc) : [503];
  for (const status of statuses) responses[status] = errorResponse(status, errors);
  responses.default = errorResponse(0, errors);
  return responses;
}

/** Anonymous too on public routes; the License scheme where licenses may call; none outside /v1/accounts. */
function securityOf({ path, handler }: Context): Schema[] {
  if (!path.startsWith('/v1/accounts/')) return [];
  const isPublic = !!metadataOf<boolean>(PUBLIC_ROUTE, handler);
  const allowed = metadataOf<BearerKind[]>(ALLOWED_BEARERS, handler);
  const licenses = !allowed || allowed.includes('license');
  return [...(isPublic ? [{}] : []), { bearer: [] }, { basic: [] }, ...(licenses ? [{ license: [] }] : [])];
}

function requestSchemaOf(pipe: unknown): { schema: Schema; required: boolean } | undefined {
  if (pipe instanceof OptionalBody) return { schema: resourceRequestSchema(pipe.inner.rules, hintsFor(pipe.inner.rules.type)), required: false };
  if (pipe instanceof ResourceBodyPipe) return { schema: resourceRequestSchema(pipe.rules, hintsFor(pipe.rules.type)), required: true };
  if (isDescribed(pipe)) return { schema: pipe.requestSchema(), required: true };
  return undefined;
}

/** Descriptions and examples of the response attributes, for the request attributes of the same name. */
const hintsFor = (type: string): Record<string, Schema> => SHAPES.get(type)?.attributes ?? {};

function requestSchemaName(operationId: string): string {
  const [controller, method] = operationId.split('_');
  const stem = controller.replace(/Controller$/, '');
  return `${stem}${method[0].toUpperCase()}${method.slice(1)}Request`;
}

function errorStatuses(method: string, hasBody: boolean, doc: OperationDoc): number[] {
  const statuses = new Set([400, 401, 403, 404, 429, 503, ...(doc.errorStatuses ?? [])]);
  if (hasBody) for (const status of [413, 415, 422]) statuses.add(status);
  if ((method === 'post' || method === 'patch') && hasBody) statuses.add(409);
  return [...statuses].sort();
}

function errorResponse(status: number, style: 'jsonapi' | 'json' | 'text'): Schema {
  const headers: Record<string, unknown> = { 'X-Request-Id': headerRef('X-Request-Id') };
  if (status === 401) headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
  if (status === 429) for (const name of ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) headers[name] = headerRef(name);
  const example = { meta: { id: '5d0c2f8e-…' }, errors: [{ title: 'Error', detail: STATUS_TEXT[status] ?? 'What went wrong', code: 'NOT_FOUND' }] };
  const content =
    style === 'text'
      ? { 'text/plain': { schema: { type: 'string', description: 'The reason, also sent as the HTTP reason phrase (twine prints it)' }, example: `${STATUS_TEXT[status] ?? 'What went wrong'}\n` } }
      : Object.fromEntries((style === 'json' ? ['application/json'] : JSON_TYPES).map((type) => [type, { schema: ref('ErrorDocument'), example }]));
  return { description: STATUS_TEXT[status] ?? 'An error document', headers, content };
}

function bodySchema(body: Body): Schema | undefined {
  switch (body.kind) {
    case 'one': {
      if (body.types.length === 1 && !body.meta && !body.nullable) return ref(`${SHAPES.get(body.types[0])!.name}Document`);
      const resource = body.types.length === 1 ? ref(SHAPES.get(body.types[0])!.name) : { oneOf: body.types.map((type) => ref(SHAPES.get(type)!.name)) };
      const data = body.nullable ? { oneOf: [resource, { type: 'null' }] } : resource;
      return { type: 'object', required: ['data', ...(body.meta ? ['meta'] : [])], additionalProperties: false, properties: { data, ...(body.meta ? { meta: body.meta } : {}) } };
    }
    case 'list':
      return ref(`${SHAPES.get(body.type)!.name}List`);
    case 'many':
      return { type: 'object', required: ['data'], additionalProperties: false, properties: { data: { type: 'array', items: ref(SHAPES.get(body.type)!.name) } } };
    case 'meta':
      return { type: 'object', required: ['meta'], additionalProperties: false, properties: { meta: body.meta } };
    default:
      return undefined;
  }
}

function successResponse(status: number, answer: SuccessDoc, resolve: (ref: string) => Schema, counted: boolean): Schema {
  const headers: Record<string, unknown> = { 'X-Request-Id': headerRef('X-Request-Id') };
  // Every answer under /v1/accounts is counted by the rate limiter (SPEC §8.4).
  if (counted) for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) headers[name] = headerRef(name);
  for (const [name, description] of Object.entries(answer.headers ?? {})) headers[name] = { description, schema: { type: 'string' } };
  if (status === 201 && !headers.Location) headers.Location = { description: 'The new resource’s URL', schema: { type: 'string' } };
  const response: Schema = { description: answer.description, headers };
  if (answer.body.kind === 'raw') {
    response.content = Object.fromEntries(
      Object.entries(answer.body.content).map(([type, media]) => [type, { schema: media.schema, example: media.example ?? exampleOf(media.schema, resolve) }]),
    );
    return response;
  }
  const schema = bodySchema(answer.body);
  if (schema) {
    const example = exampleOf(schema, resolve);
    response.content = Object.fromEntries(JSON_TYPES.map((type) => [type, { schema, example }]));
  }
  return response;
}
