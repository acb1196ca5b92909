// The enrolments module.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createEnrollmentsRepository } from './repository.js';
import { createEnrollmentsService } from './service.js';
import { enrollmentsRoutes } from './routes.js';

export default async function enrollmentsModule(app: FastifyInstance, d: ModuleDeps) {
  enrollmentsRoutes(app, createEnrollmentsService({ db: d.db, repo: createEnrollmentsRepository(d.db) }));
}
