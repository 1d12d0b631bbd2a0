import type { Request } from 'express';

/** What the Express router keeps per route: the methods it serves and its path matcher. */
interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}
type Router = { stack: RouteLayer[] } | undefined;

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The methods the application serves on a path, read from the Express router's own route table
 * (so a route added later is covered without a list to keep): a request that matched no route
 * but whose path some route serves under another method is a 405 with `Allow` (RFC 9110
 * §15.5.6), not a 404.
 */
export function methodsServedAt(router: Router, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of router?.stack ?? []) {
    if (!layer.route) continue;
    // `match` records the matched params on the layer it runs on: run it on a child object, so
    // the router's shared layer is left as it was.
    if (!layer.match.call(Object.create(layer) as RouteLayer, path)) continue;
    for (const [method, enabled] of Object.entries(layer.route.methods)) if (enabled && method !== '_all') methods.add(method.toUpperCase());
  }
  // Express answers HEAD with the GET handler.
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort((a, b) => rank(a) - rank(b));
}

const rank = (method: string) => (ORDER.includes(method) ? ORDER.indexOf(method) : ORDER.length);

/** The request's path as the router matched it (not decoded; the matchers decode). */
export function routedPath(req: Request): string {
  const url = req.originalUrl ?? req.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
