// The enrolments module: a beneficiary's enrolment in a project and the decisions on it.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createEnrollmentsRepository } from './repository.js';
import { createEnrollmentsService, type EnrollmentsService } from './service.js';
import { enrollmentsRoutes } from './routes.js';

export type { EnrollmentsService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'enrollments' in their dependencies. */
    enrollments: EnrollmentsService;
  }
}

export default fp(
  async function enrollmentsModule(app: FastifyInstance) {
    const service = createEnrollmentsService({ db: app.db, repo: createEnrollmentsRepository(app.db) });
    app.decorate('enrollments', service);
    enrollmentsRoutes(app, service);
  },
  { name: 'enrollments', dependencies: ['db', 'auth-guard'] },
);
