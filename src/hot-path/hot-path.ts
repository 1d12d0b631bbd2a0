import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AuthGuard } from '../auth/auth.guard.js';
import type { RequestContext } from '../auth/decorators.js';
import { answerError } from '../common/exception.filter.js';
import { InFlightHandlers } from '../common/in-flight.js';
import { checkUrl } from '../common/input-safety.js';
import { prepareDocument } from '../common/jsonapi.interceptor.js';
import { LOGGER } from '../common/logger.js';
import { stateOf } from '../common/request-context.js';
import { isPypiName, normalizePypiName } from '../products/package-key.js';
import { writePypi } from '../pypi/pypi.controller.js';
import { SimpleIndexService } from '../pypi/simple-index.service.js';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { SignedUrls } from '../storage/signed-urls.js';
import { writeUpdate } from '../upgrades/tauri.controller.js';
import { TauriService } from '../upgrades/tauri.service.js';
import { upgradeDocument } from '../upgrades/upgrades.controller.js';
import { UpgradesService } from '../upgrades/upgrades.service.js';

/** What of an Express application the hot path needs to stand in front of it. */
export type ExpressApp = { request: object; response: object; handle(req: Request, res: Response, callback?: NextFunction): void };

/** One hot route: its path, the route pattern it is logged as (Nest's own), and how it is served. */
interface HotRoute {
  pattern: RegExp;
  route: string;
  serve: (ctx: RequestContext, req: Request, res: Response, params: string[]) => Promise<void>;
}

const ACCOUNT = '/v1/accounts/([^/]+)';
const PRODUCT = '/products/([^/]+)';

/**
 * The GET routes installed software and package installers poll (SPEC §10's hot paths: PyPI
 * pages and indexes, upgrade lookups, Tauri update checks), served without Nest's router, guard,
 * interceptor and pipe chain, which cost several times the work of the answer itself. They go
 * through the very same steps, only called directly: the URL check, the rate limiter's and the
 * auth guard's `admit`, the route's service method (with its caches and events), the controller's
 * writer, and the exception filter's `answerError`. A request these routes' controllers would
 * see differently — any other method or path form, a body, a path segment to normalize or
 * redirect, `/releases/actions/...` — is left to Nest, which serves it as it always has.
 */
@Injectable()
export class HotPath {
  private readonly routes: HotRoute[];

  constructor(
    private readonly rateLimits: RateLimitGuard,
    private readonly auth: AuthGuard,
    private readonly pages: SimpleIndexService,
    private readonly upgrades: UpgradesService,
    private readonly tauri: TauriService,
    private readonly urls: SignedUrls,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const record = (req: Request) => req.method !== 'HEAD';
    const pypi = (productRef: string | undefined) => (productRef === undefined ? {} : { productRef });
    this.routes = [
      {
        pattern: new RegExp(`^${ACCOUNT}/engines/pypi/simple/([^/]+)/$`),
        route: '/v1/accounts/:account/engines/pypi/simple/:project',
        serve: async (ctx, req, res, [project]) => writePypi(res, await this.pages.project(ctx, req, {}, project)),
      },
      {
        pattern: new RegExp(`^${ACCOUNT}${PRODUCT}/engines/pypi/simple/([^/]+)/$`),
        route: '/v1/accounts/:account/products/:product/engines/pypi/simple/:project',
        serve: async (ctx, req, res, [product, project]) => writePypi(res, await this.pages.project(ctx, req, pypi(product), project)),
      },
      {
        pattern: new RegExp(`^${ACCOUNT}/engines/pypi/simple/$`),
        route: '/v1/accounts/:account/engines/pypi/simple',
        serve: async (ctx, req, res) => writePypi(res, await this.pages.index(ctx, req, {})),
      },
      {
        pattern: new RegExp(`^${ACCOUNT}${PRODUCT}/engines/pypi/simple/$`),
        route: '/v1/accounts/:account/products/:product/engines/pypi/simple',
        serve: async (ctx, req, res, [product]) => writePypi(res, await this.pages.index(ctx, req, pypi(product))),
      },
      {
        pattern: new RegExp(`^${ACCOUNT}/releases/([^/]+)/upgrade$`),
        route: '/v1/accounts/:account/releases/:id/upgrade',
        serve: async (ctx, req, res, [id]) => {
          const document = upgradeDocument(await this.upgrades.fromRelease(ctx, id, req.query as Record<string, unknown>, record(req)));
          res.json(prepareDocument(req, res, document));
        },
      },
      {
        pattern: new RegExp(`^${ACCOUNT}/engines/tauri/([^/]+)$`),
        route: '/v1/accounts/:account/engines/tauri/:package',
        serve: async (ctx, req, res, [pkg]) => writeUpdate(res, await this.tauri.check(ctx, pkg, req.query as Record<string, unknown>, this.urls.origin(req), record(req))),
      },
    ];
  }

  /**
   * Puts the hot path in front of the Express application: a request it owns gets what Express
   * gives every request (its request and response prototypes, then the application's `early`
   * middleware: request id, request log, error style) and is served here; any other goes to
   * Express, untouched. Its handlers count among those shutdown waits for.
   */
  mount(express: ExpressApp, early: ReadonlyArray<(req: Request, res: Response, next: NextFunction) => void>, inFlight: InFlightHandlers): void {
    const handle = express.handle.bind(express);
    express.handle = (req: Request, res: Response, callback?: NextFunction) => {
      const taken = this.match(req);
      if (!taken) return handle(req, res, callback);
      // What Express's application and router set on every request before its middleware.
      req.res = res;
      res.req = req;
      Object.setPrototypeOf(req, express.request);
      Object.setPrototypeOf(res, express.response);
      res.locals ??= Object.create(null);
      req.originalUrl ??= req.url;
      req.baseUrl = '';
      (req as Request & { route: { path: string } }).route = { path: taken.route.route };
      inFlight
        .track(async () => {
          try {
            for (const middleware of early) middleware(req, res, () => undefined);
          } catch (error) {
            return answerError(this.logger, req, res, error);
          }
          await this.serve(taken.route, req, res, taken.params);
        })
        .catch((error: unknown) => {
          // Answering the error failed too: end the exchange rather than the process.
          this.logger.error({ requestId: stateOf(req)?.requestId, err: error instanceof Error ? error.message : String(error) }, 'hot path: could not answer');
          res.destroy();
        });
    };
  }

  /** The hot route a request goes to, with its decoded parameters; null for anything Nest must see. */
  private match(req: Request): { route: HotRoute; params: string[] } | null {
    if (req.method !== 'GET' && req.method !== 'HEAD') return null;
    // Any declared body, even an empty one, goes through Nest's body parser and its refusals.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return null;
    const url = req.url ?? '';
    // A '#' makes Express cut the path there (the rest is a fragment): Nest routes it.
    if (!url.startsWith('/v1/accounts/') || url.includes('#')) return null;
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const params = decodeAll(match.slice(1));
      return params && this.ownsParams(route, params) ? { route, params } : null;
    }
    return null;
  }

  /** Only what Nest would route to the same handler with the same parameters. */
  private ownsParams(route: HotRoute, [, ...rest]: string[]): boolean {
    if (route.route.endsWith('/:project')) {
      // A name to normalize is redirected first (PypiPathMiddleware).
      const project = rest[rest.length - 1];
      return isPypiName(project) && normalizePypiName(project) === project;
    }
    // `actions` is a route of its own there (`/releases/actions/upgrade`).
    if (route.route.endsWith('/:id/upgrade')) return rest[0].toLowerCase() !== 'actions';
    return true;
  }

  private async serve(route: HotRoute, req: Request, res: Response, [account, ...params]: string[]): Promise<void> {
    try {
      checkUrl(req.originalUrl);
      await this.rateLimits.admit(req, res, account, false);
      await this.auth.admit(req, account, { public: true });
      const state = stateOf(req);
      const ctx: RequestContext = { account: state.account!, bearer: state.bearer!, requestId: state.requestId, serials: state.serials };
      await route.serve(ctx, req, res, params);
    } catch (error) {
      answerError(this.logger, req, res, error);
    }
  }
}

/** Path parameters as Express gives them to a route (percent-decoded), or null when one cannot be. */
function decodeAll(segments: string[]): string[] | null {
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return null;
  }
}
