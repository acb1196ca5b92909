// The audit module: reading the trail the database writes.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
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

export default fp(
  async function auditModule(app: FastifyInstance) {
    const service = createAuditService({ repo: createAuditRepository(app.db) });
    app.decorate('audit', service);
    auditRoutes(app, service);
  },
  { name: 'audit', dependencies: ['db', 'auth-guard'] },
);
