import type { NestExpressApplication } from '@nestjs/platform-express';

export interface AppRoute {
  /** Upper-case HTTP method. */
  method: string;
  /** The Express route pattern, e.g. `/v1/accounts/:account/releases/:id`. */
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * The routes the application really serves, read from its Express router: suites that must
 * cover every route (the route × bearer matrix, the OpenAPI contract) build their rows from
 * this list, so a route added later without a row makes them fail. The interactive docs'
 * assets and the document itself (/openapi.json) are left out; each method and path appears once.
 */
export function applicationRoutes(app: NestExpressApplication): AppRoute[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: Layer[] }; _router?: { stack: Layer[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const seen = new Set<string>();
  const routes: AppRoute[] = [];
  for (const layer of stack) {
    if (!layer.route || layer.route.path.startsWith('/docs') || layer.route.path === '/openapi.json') continue;
    for (const [method, enabled] of Object.entries(layer.route.methods)) {
      const key = `${method.toUpperCase()} ${layer.route.path}`;
      if (!enabled || method === '_all' || seen.has(key)) continue;
      seen.add(key);
      routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
  }
  return routes;
}
