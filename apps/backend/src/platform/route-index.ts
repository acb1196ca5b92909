// Every route the app registers (method, URL pattern, schema), collected by an onRoute hook. Fastify's router
// answers "no handler" without saying whether the path exists under another method; this index does, so a
// wrong method on a known path is a 405 with an `Allow` header (errors.ts) instead of a 404. Tests enumerate
// the routes from here, so a new route is covered by the contract tests without being listed anywhere.
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';

export interface IndexedRoute {
  method: string;
  url: string;
  schema: FastifySchema | undefined;
  config: RouteOptions['config'];
}

export interface RouteIndex {
  routes(): readonly IndexedRoute[];
  /** Methods that `path` answers, sorted; empty when no route matches the path under any method. */
  allowedMethods(path: string): string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    routeIndex: RouteIndex;
  }
}

// A catch-all route (the CORS preflight, `OPTIONS *`) does not make every path "known".
const CATCH_ALL = new Set(['*', '/*']);
const noop = () => {};

/** Call before any route is registered. */
export function indexRoutes(app: FastifyInstance): RouteIndex {
  // Fastify's own router matches with find-my-way's defaults (case-sensitive, trailing slash significant).
  const router = FindMyWay();
  // The route options objects themselves: hooks registered later still complete them (auth adds `security`).
  const registered: { method: string; route: RouteOptions }[] = [];
  const methods = new Set<string>();
  const everywhere = new Set<string>();

  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      registered.push({ method, route });
      if (CATCH_ALL.has(route.url)) everywhere.add(method);
      else {
        router.on(method as HTTPMethod, route.url, noop);
        methods.add(method);
      }
    }
  });

  const index: RouteIndex = {
    routes: () =>
      registered.map(({ method, route }) => ({ method, url: route.url, schema: route.schema, config: route.config })),
    allowedMethods(path) {
      const allowed = [...methods].filter((m) => router.find(m as HTTPMethod, path) !== null);
      return allowed.length ? [...new Set([...allowed, ...everywhere])].sort() : [];
    },
  };
  app.decorate('routeIndex', index);
  return index;
}
