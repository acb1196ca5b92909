// The jobs module: the job queue (pg-boss on our schema), the registry other modules define their jobs in,
// and /admin/jobs. It starts its workers when the app is ready and, when the app closes, lets running jobs
// finish within the shutdown grace or hands them back to the queue (docs/runbooks/jobs.md).
import { defineModule } from '../../platform/module.js';
import { createJobsRepository } from './repository.js';
import { createJobsService, type JobsService } from './service.js';
import { jobsRoutes } from './routes.js';

export type { JobsService };
export type { JobContext, JobDefinition, JobSummary } from './service.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** For modules that declare 'jobs' in their dependencies. */
    jobs: JobsService;
  }
}

/** What the shutdown grace leaves for closing the pool and Redis once jobs have stopped. */
const CLOSE_MARGIN_MS = 1_500;

export default defineModule({
  name: 'jobs',
  dependencies: ['db', 'metrics', 'auth-guard'],
  service: (app) => {
    const jobs = createJobsService({
      db: app.db,
      repo: createJobsRepository(app.db),
      config: app.config,
      log: app.log,
      metrics: app.metricsRegistry,
    });
    app.addHook('onReady', jobs.start);
    // Stopping starts with the close (no new jobs; running ones use the grace alongside in-flight requests).
    app.addHook('preClose', (done) => {
      void jobs.beginStop(app.config.SHUTDOWN_TIMEOUT_MS - CLOSE_MARGIN_MS);
      done();
    });
    app.addHook('onClose', () => jobs.beginStop(app.config.SHUTDOWN_TIMEOUT_MS - CLOSE_MARGIN_MS));
    return jobs.service;
  },
  routes: jobsRoutes,
});
