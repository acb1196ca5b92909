// The projects module: the programmes the organisation runs.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
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

export default fp(
  async function projectsModule(app: FastifyInstance) {
    const service = createProjectsService({ db: app.db, repo: createProjectsRepository(app.db) });
    app.decorate('projects', service);
    projectsRoutes(app, service);
  },
  { name: 'projects', dependencies: ['db', 'auth-guard'] },
);
