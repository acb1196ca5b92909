// The shape of every module (docs/development.md): one named Fastify plugin that builds the module's service
// from the platform (and the modules it depends on), exposes it as `app.<name>` to the modules that declare
// a dependency on it, and registers the routes. The type of `app.<name>` is declared by the module itself
// (declaration merging in its index.ts), and the service built here must match it.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

/** Platform plugins a module may depend on, and the modules (by name) registered in app.ts. */
export type Dependency =
  | 'db'
  | 'classification'
  | 'redis'
  | 'cache-invalidation'
  | 'cache'
  | 'mailer'
  | 'metrics'
  | 'rate-limits'
  | 'auth-guard'
  | 'read-your-writes'
  | (string & {});

export function defineModule<N extends keyof FastifyInstance & string>(o: {
  name: N;
  dependencies: Dependency[];
  service: (app: FastifyInstance) => FastifyInstance[N];
  routes: (app: FastifyInstance, service: FastifyInstance[N]) => void;
}) {
  return fp(
    async (app: FastifyInstance) => {
      const service = o.service(app);
      app.decorate(o.name, service as never); // typed by `service` above
      // The routes in a context of their own: a hook one module adds stays with its routes, and each module's
      // schemas are compiled when its own routes are done (not all modules' at once, blocking the loop longer).
      await app.register(async (routes) => o.routes(routes, service));
    },
    { name: o.name, dependencies: o.dependencies },
  );
}
