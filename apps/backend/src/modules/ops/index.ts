// The ops module: operational insight into the database (metrics live in platform/metrics.ts).
import type { FastifyInstance } from 'fastify';
import type { ModuleDeps } from '../../app.js';
import { createOpsRepository } from './repository.js';
import { createOpsService } from './service.js';
import { opsRoutes } from './routes.js';

export default async function opsModule(app: FastifyInstance, d: ModuleDeps) {
  opsRoutes(app, createOpsService({ db: d.db, repo: createOpsRepository(d.db) }));
}
