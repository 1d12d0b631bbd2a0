import { createAccount, startApp, type TestApp } from '../support/app.js';
import { applicationRoutes } from '../support/routes.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** A concrete URL for a route pattern: each parameter gets a value no literal segment has. */
const concrete = (pattern: string) => pattern.replace(/:account\b/, 'acme').replace(/\*\w+/g, 'dir/file.whl').replace(/:\w+/g, (name) => `v-${name.slice(1)}`);

/** The route patterns matching a path, by a matcher of this test's own (not the router's). */
function servedAt(routes: { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    const pattern = new RegExp(`^${route.path.replace(/\*\w+/g, '.+').replace(/:\w+/g, '[^/]+')}/?$`, 'i');
    if (pattern.test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** RFC 9110 §15.5.6: a method a route does not serve is a 405 with `Allow`, never a 404. */
describe('a wrong method on an existing route', () => {
  let t: TestApp;
  let routes: { method: string; path: string }[];

  beforeAll(async () => {
    t = await startApp();
    await createAccount(t, { slug: 'acme' });
    routes = applicationRoutes(t.app);
  });
  afterAll(() => t.close());

  it('answers 405 with Allow listing what the route table serves there, for every route and method', async () => {
    const paths = [...new Set(routes.map((route) => concrete(route.path)))];
    expect(paths.length).toBeGreaterThan(50);
    let checked = 0;
    const wrong: string[] = [];
    for (const path of paths) {
      const served = servedAt(routes, path);
      for (const method of METHODS.filter((m) => !served.includes(m))) {
        const res = await t.http[method.toLowerCase() as 'get'](path).set('Content-Type', 'application/json').send(method === 'HEAD' ? undefined : '{}');
        const allow = String(res.headers.allow ?? '')
          .split(/,\s*/)
          .filter(Boolean)
          .sort();
        if (res.status !== 405 || allow.join() !== served.join()) wrong.push(`${method} ${path} → ${res.status} Allow: ${res.headers.allow}; expected ${served.join(', ')}`);
        checked += 1;
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(250);
  });

  it('names the allowed methods in the error document, in the route style (JSON:API, PyPI text)', async () => {
    const jsonapi = await t.http.put('/v1/accounts/acme/releases/1.0.0').expect(405);
    expect(jsonapi.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    expect(jsonapi.body.errors[0]).toMatchObject({ code: 'METHOD_NOT_ALLOWED', detail: expect.stringContaining('GET, HEAD, PATCH, DELETE') });
    expect(jsonapi.headers['x-request-id']).toBeDefined();
    const pypi = await t.http.delete('/v1/accounts/acme/engines/pypi').expect(405);
    // GET is the engine record (/engines/{key}); POST and PUT are uploads.
    expect(pypi.headers.allow).toBe('GET, HEAD, POST, PUT');
    expect(pypi.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('still answers 404 where no route serves the path at all', async () => {
    await t.http.post('/v1/accounts/acme/nothing-here').expect(404);
    await t.http.get('/v1/accounts/acme/releases/a/b/c/d').expect(404);
  });

  it('answers a wrong method before authentication or any lookup: also for an unknown account', async () => {
    const res = await t.http.post('/v1/accounts/no-such-account/products/p').set('Authorization', 'Bearer admin_nonsense').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
  });
});
