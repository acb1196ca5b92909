// The app's scheduled work in one list: what runs when (cron in ORG_TIMEZONE, each set by a variable; `off`
// switches it off) and which module's service does it. The jobs module runs them, once across all instances
// (docs/runbooks/jobs.md); the work itself lives in the modules. A module's internal jobs (webhook
// deliveries) are defined by the module.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

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
  // The reports (issue 15) and privacy (issue 16) modules' schedules join this list when they land: their
  // queues (reports.refresh, privacy.retention) already exist; docs/runbooks/jobs.md shows the two entries.
}

export default fp(schedules, { name: 'schedules', dependencies: ['jobs', 'ops', 'auth', 'events', 'webhooks'] });
