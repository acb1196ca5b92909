// The reports module: aggregate reports served from materialized views, protected against re-identification,
// exported as streams; refreshAll(trigger) for the on-demand route, schedules, the seed and the smoke check.
import { defineModule } from '../../platform/module.js';
import { createReportsRepository } from './repository.js';
import { createReportsService, type ReportsService } from './service.js';
import { reportsRoutes } from './routes.js';

export type { ReportsService, RefreshTrigger, ReportsConfig } from './service.js';
export { createReportsRepository, createReportsService };
export { REFRESH_LOCK_KEY } from './repository.js';
export { REPORT_NAMES, REPORT_VIEWS, REPORTS, type ReportName } from './catalogue.js';
export type { Row as ReportRow } from './builders.js';
export type { CellOut } from './suppression.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'reports' in their dependencies (jobs schedules refreshAll). */
    reports: ReportsService;
  }
}

export default defineModule({
  name: 'reports',
  dependencies: ['db', 'auth-guard', 'read-your-writes'],
  service: (app) =>
    createReportsService({ db: app.db, repo: createReportsRepository(app.db), config: app.config, log: app.log }),
  routes: reportsRoutes,
});
