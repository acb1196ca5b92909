// The audit module: reading the trail the database writes.
import { defineModule } from '../../platform/module.js';
import { createAuditRepository } from './repository.js';
import { createAuditService, type AuditService } from './service.js';
import { auditRoutes } from './routes.js';

export type { AuditService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'audit' in their dependencies. */
    audit: AuditService;
  }
}

export default defineModule({
  name: 'audit',
  dependencies: ['db', 'auth-guard', 'read-your-writes'],
  service: (app) => createAuditService({ repo: createAuditRepository(app.db) }),
  routes: auditRoutes,
});
