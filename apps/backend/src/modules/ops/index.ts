// The ops module: operational insight into the database (metrics live in platform/metrics.ts), and the backup,
// restore test and maintenance the jobs run (scheduled in src/schedules.ts).
import { defineModule } from '../../platform/module.js';
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

export default defineModule({
  name: 'ops',
  dependencies: ['db', 'auth-guard'],
  service: (app) => createOpsService({ db: app.db, repo: createOpsRepository(app.db), config: app.config }),
  routes: opsRoutes,
});
