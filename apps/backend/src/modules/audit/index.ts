// The audit module: reading the trail the database writes.
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createAuditRepository } from './repository.js';
import { createAuditService } from './service.js';
import { auditRoutes } from './routes.js';

export default async function auditModule(app: FastifyInstance, d: ModuleDeps) {
  auditRoutes(app, createAuditService({ repo: createAuditRepository(d.db) }));
}
