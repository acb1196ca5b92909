// The workshops module: workshops of a project and their participants.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createWorkshopsRepository } from './repository.js';
import { createWorkshopsService } from './service.js';
import { workshopsRoutes } from './routes.js';

export default async function workshopsModule(app: FastifyInstance, d: ModuleDeps) {
  workshopsRoutes(app, createWorkshopsService({ db: d.db, repo: createWorkshopsRepository(d.db) }));
}
