// The ops module: operational insight into the database (metrics live in platform/metrics.ts).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { createOpsRepository } from './repository.js';
import { createOpsService, type OpsService } from './service.js';
import { opsRoutes } from './routes.js';

export type { OpsService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'ops' in their dependencies. */
    ops: OpsService;
  }
}

export default fp(
  async function opsModule(app: FastifyInstance) {
    const service = createOpsService({ db: app.db, repo: createOpsRepository(app.db) });
    app.decorate('ops', service);
    opsRoutes(app, service);
  },
  { name: 'ops', dependencies: ['db', 'auth-guard'] },
);
