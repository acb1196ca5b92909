// The workshops module: workshops of a project and their participants.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
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

export default fp(
  async function workshopsModule(app: FastifyInstance) {
    const service = createWorkshopsService({ db: app.db, repo: createWorkshopsRepository(app.db) });
    app.decorate('workshops', service);
    workshopsRoutes(app, service);
  },
  { name: 'workshops', dependencies: ['db', 'auth-guard'] },
);
