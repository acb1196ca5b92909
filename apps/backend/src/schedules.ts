// The app's scheduled work in one list: what runs when (cron in ORG_TIMEZONE, each set by a variable; `off`
// switches it off) and which module's service does it. The jobs module runs them, once across all instances
// (docs/runbooks/jobs.md); the work itself lives in the modules. A module's internal jobs (webhook
// deliveries) are defined by the module.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { AppError } from './platform/errors.js';
import { REPORT_VIEWS } from './modules/reports/index.js';

async function schedules(app: FastifyInstance) {
  const { config, jobs } = app;
  jobs.define({
    name: 'backup',
    description:
      'pg_dump of the database into BACKUP_DIR with checksum and manifest; prunes past BACKUP_RETENTION_DAYS',
    schedule: config.BACKUP_SCHEDULE,
    scheduleVariable: 'BACKUP_SCHEDULE',
    timeoutSeconds: 4 * 3600,
    retryDelaySeconds: 300,
    concurrency: 1,
    handler: ({ signal, log }) => app.ops.backup(signal, log),
  });
  jobs.define({
    name: 'restore-test',
    description: 'backup:verify on the newest backup: restore into a scratch database, compare, amcheck',
    schedule: config.RESTORE_TEST_SCHEDULE,
    scheduleVariable: 'RESTORE_TEST_SCHEDULE',
    timeoutSeconds: 4 * 3600,
    retryLimit: 1,
    retryDelaySeconds: 600,
    concurrency: 1,
    handler: ({ signal, log }) => app.ops.restoreTest(signal, log),
  });
  jobs.define({
    name: 'maintenance',
    description:
      'ANALYZE where statistics are stale, dead-tuple and bloat report, amcheck on a rotating sample of indexes',
    schedule: config.MAINTENANCE_SCHEDULE,
    scheduleVariable: 'MAINTENANCE_SCHEDULE',
    timeoutSeconds: 2 * 3600,
    retryLimit: 1,
    retryDelaySeconds: 600,
    concurrency: 1,
    handler: ({ signal, log }) => app.ops.maintenance(signal, log),
  });
  jobs.define({
    name: 'prune',
    description:
      'deletes expired sessions and reset tokens, change events past EVENTS_RETENTION_HOURS and expired stream tickets, job runs past JOBS_HISTORY_DAYS, deliveries past WEBHOOK_RETENTION_DAYS',
    schedule: config.PRUNE_SCHEDULE,
    scheduleVariable: 'PRUNE_SCHEDULE',
    timeoutSeconds: 15 * 60,
    retryDelaySeconds: 2,
    concurrency: 1,
    handler: async () => {
      const auth = await app.auth.pruneExpired();
      const events = await app.events.prune();
      return {
        ...auth,
        change_events: events.events,
        event_tickets: events.tickets,
        job_runs: await jobs.pruneHistory(),
        webhook_deliveries: await app.webhooks.pruneDeliveries(),
      };
    },
  });
  jobs.define({
    name: 'reports.refresh',
    description:
      'refreshes every report view (concurrently, one refresh at a time); a turn is skipped while another refresh runs',
    schedule: config.REPORTS_REFRESH_SCHEDULE,
    scheduleVariable: 'REPORTS_REFRESH_SCHEDULE',
    // Each of the views may take REPORT_REFRESH_TIMEOUT_MS.
    timeoutSeconds: Math.min(
      23 * 3600,
      Math.ceil((REPORT_VIEWS.length * config.REPORT_REFRESH_TIMEOUT_MS) / 1000) + 60,
    ),
    retryLimit: 1,
    retryDelaySeconds: 60,
    concurrency: 1,
    handler: async ({ name, trigger, data }) => {
      const requestedBy = trigger === 'manual' && data.requested_by ? String(data.requested_by) : null;
      try {
        const r = await app.reports.refreshAll(requestedBy ? { userId: requestedBy } : { schedule: name });
        return { refresh_id: r.id, views: Object.keys(r.views).length, duration_ms: r.duration_ms };
      } catch (err) {
        // Another refresh holds the lock: this turn is skipped, not failed (the reports module logs nothing for it).
        if (err instanceof AppError && err.code === 'refresh_running')
          return { skipped: 'another refresh was running' };
        throw err;
      }
    },
  });
  jobs.define({
    name: 'privacy.retention',
    description:
      "the privacy module's retention: anonymises, in batches, everyone archived longer than her purposes' longest retention (open data-subject requests hold her)",
    schedule: config.PRIVACY_RETENTION_SCHEDULE,
    scheduleVariable: 'PRIVACY_RETENTION_SCHEDULE',
    timeoutSeconds: 4 * 3600,
    retryLimit: 2,
    retryDelaySeconds: 600,
    concurrency: 1,
    handler: async ({ log }) => {
      // Its lines name codes and ids, never a person (docs/privacy.md).
      const r = await app.privacy.runRetention({ dryRun: false, log: (line) => log.info(line) });
      return { anonymised: r.anonymised.length, held: r.held.length };
    },
  });
}

export default fp(schedules, {
  name: 'schedules',
  dependencies: ['jobs', 'ops', 'auth', 'events', 'webhooks', 'reports', 'privacy'],
});
