// The flags module: feature flags for gradual releases (a registry in code, states in PostgreSQL), read through
// OpenFeature with an in-project provider.
import { defineModule } from '../../platform/module.js';
import { createFlagsRepository } from './repository.js';
import { createFlagsService, type FlagsService } from './service.js';
import { flagsRoutes } from './routes.js';

export type { FlagsService };
export { FLAGS, type FlagKey } from './registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'flags' in their dependencies. */
    flags: FlagsService;
  }
}

export default defineModule({
  name: 'flags',
  dependencies: ['db', 'cache', 'auth-guard'],
  service: (app) => createFlagsService({ db: app.db, repo: createFlagsRepository(app.db), cache: app.cache }),
  routes: flagsRoutes,
});
