// The enrolments module: a beneficiary's enrolment in a project and the decisions on it.
import { defineModule } from '../../platform/module.js';
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

export default defineModule({
  name: 'enrollments',
  dependencies: ['db', 'auth-guard', 'read-your-writes'],
  service: (app) => createEnrollmentsService({ db: app.db, repo: createEnrollmentsRepository(app.db) }),
  routes: enrollmentsRoutes,
});
