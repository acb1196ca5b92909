// The projects module: the programmes the organisation runs.
import { defineModule } from '../../platform/module.js';
import { createProjectsRepository } from './repository.js';
import { createProjectsService, type ProjectsService } from './service.js';
import { projectsRoutes } from './routes.js';

export type { ProjectsService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'projects' in their dependencies. */
    projects: ProjectsService;
  }
}

export default defineModule({
  name: 'projects',
  dependencies: ['db', 'auth-guard', 'read-your-writes'],
  service: (app) => createProjectsService({ db: app.db, repo: createProjectsRepository(app.db) }),
  routes: projectsRoutes,
});
