// The workshops module: workshops of a project and their participants.
import { defineModule } from '../../platform/module.js';
import { createWorkshopsRepository } from './repository.js';
import { createWorkshopsService, type WorkshopsService } from './service.js';
import { workshopsRoutes } from './routes.js';

export type { WorkshopsService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'workshops' in their dependencies. */
    workshops: WorkshopsService;
  }
}

export default defineModule({
  name: 'workshops',
  dependencies: ['db', 'auth-guard', 'read-your-writes'],
  service: (app) => createWorkshopsService({ db: app.db, repo: createWorkshopsRepository(app.db) }),
  routes: workshopsRoutes,
});
