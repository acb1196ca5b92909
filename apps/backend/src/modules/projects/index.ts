// The projects module.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createProjectsRepository } from './repository.js';
import { createProjectsService } from './service.js';
import { projectsRoutes } from './routes.js';

export default async function projectsModule(app: FastifyInstance, d: ModuleDeps) {
  projectsRoutes(app, createProjectsService({ db: d.db, repo: createProjectsRepository(d.db) }));
}
