// pg-boss as this app runs it: on the app's own pool (statements only, no session state: transaction poolers
// work), its schema created by our migrations (migrate: false: it only checks the version), and the clock,
// maintenance and cron intervals from the configuration. Workers and schedules only where JOBS_ENABLED.
import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Config } from '../../config.js';

export const JOBS_SCHEMA = 'pgboss';

/** pg-boss's view of a connection: our pool, or a transaction's client (a job sent in the caller's transaction). */
export function bossDb(executor: pg.Pool | pg.PoolClient): PgBoss.Db {
  return { executeSql: (text, values) => executor.query(text, values) };
}

export function createQueue(pool: pg.Pool, config: Config): PgBoss {
  const runs = config.JOBS_ENABLED;
  return new PgBoss({
    db: bossDb(pool),
    schema: JOBS_SCHEMA,
    migrate: false,
    supervise: runs,
    schedule: runs,
    maintenanceIntervalSeconds: config.JOBS_MAINTENANCE_INTERVAL_SECONDS,
    cronMonitorIntervalSeconds: config.JOBS_CRON_CHECK_SECONDS,
    cronWorkerIntervalSeconds: Math.min(config.JOBS_CRON_CHECK_SECONDS, 5),
    pollingIntervalSeconds: config.JOBS_POLL_INTERVAL_MS / 1000,
  });
}
