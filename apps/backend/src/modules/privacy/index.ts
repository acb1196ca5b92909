// The privacy module (LGPD, issue 16): purposes and legal bases, notices, consents, data-subject requests, the
// data-subject export, anonymisation and retention. runRetention is also what the monthly job calls.
import { Gauge } from 'prom-client';
import { defineModule } from '../../platform/module.js';
import { createPrivacyRepository } from './repository.js';
import { createPrivacyService, type PrivacyService, type RetentionReport } from './service.js';
import { privacyRoutes } from './routes.js';

export type { PrivacyService, RetentionReport };
export { createPrivacyRepository, createPrivacyService };

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'privacy' in their dependencies (the jobs module schedules runRetention). */
    privacy: PrivacyService;
  }
}

export default defineModule({
  name: 'privacy',
  dependencies: ['db', 'classification', 'metrics', 'auth-guard'],
  service: (app) => {
    const service = createPrivacyService({
      db: app.db,
      repo: createPrivacyRepository(app.db, app.classification),
      classification: app.classification,
      timezone: app.config.ORG_TIMEZONE,
    });
    // Read at scrape time; a scrape while the database is away keeps the last values.
    const counts = () => service.openRequestCounts().catch(() => null);
    new Gauge({
      name: 'acolhe_privacy_requests_open',
      help: 'Data-subject requests received or in progress',
      registers: [app.metricsRegistry],
      async collect() {
        const c = await counts();
        if (c) this.set(c.open);
      },
    });
    new Gauge({
      name: 'acolhe_privacy_requests_overdue',
      help: 'Open data-subject requests past their due day (15 days after receipt, ORG_TIMEZONE)',
      registers: [app.metricsRegistry],
      async collect() {
        const c = await counts();
        if (c) this.set(c.overdue);
      },
    });
    return service;
  },
  routes: privacyRoutes,
});
