// SQL of the jobs module: its run history (job_runs) and, read-only, the queue's state in pg-boss's tables.
import type { Db, Executor } from '../../platform/db.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';
export type Trigger = 'schedule' | 'manual' | 'enqueued';

export interface RunRow {
  id: string;
  job_name: string;
  job_id: string;
  trigger: Trigger;
  attempt: number;
  worker: string;
  status: RunStatus;
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  summary: Record<string, unknown> | null;
  error: string | null;
}

const RUN_COLUMNS = `id, job_name, job_id, trigger, attempt, worker, status, started_at, finished_at,
  (extract(epoch FROM finished_at - started_at) * 1000)::int AS duration_ms, summary, error`;

export function createJobsRepository(db: Db) {
  return {
    /** Starts a run; an earlier run of the same job still marked running died with its worker (a retry now). */
    startRun: (
      r: { name: string; jobId: string; trigger: Trigger; attempt: number; worker: string; requestedBy: string | null },
      ex?: Executor,
    ) =>
      db.one<{ id: string }>(
        {
          name: 'jobs-run-start',
          text: `WITH earlier AS (
                   UPDATE job_runs SET status = 'interrupted', finished_at = greatest(now(), started_at),
                          error = coalesce(error, 'the worker stopped before the run finished')
                    WHERE job_id = $2 AND status = 'running'
                 )
                 INSERT INTO job_runs (job_name, job_id, trigger, attempt, worker, created_by)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          values: [r.name, r.jobId, r.trigger, r.attempt, r.worker, r.requestedBy],
        },
        ex,
      ),

    finishRun: (
      id: string,
      r: { status: 'succeeded' | 'failed' | 'interrupted'; summary: unknown; error: string | null },
      ex?: Executor,
    ) =>
      db.execute(
        {
          name: 'jobs-run-finish',
          text: `UPDATE job_runs SET status = $2, finished_at = greatest(now(), started_at), summary = $3, error = $4
                  WHERE id = $1 AND status = 'running'`,
          values: [id, r.status, r.summary === undefined ? null : JSON.stringify(r.summary), r.error],
        },
        ex,
      ),

    heartbeat: (ids: string[], ex?: Executor) =>
      db.execute(
        {
          name: 'jobs-heartbeat',
          text: `UPDATE job_runs SET heartbeat_at = now() WHERE id = ANY($1::bigint[]) AND status = 'running'`,
          values: [ids],
        },
        ex,
      ),

    /** Runs whose worker stopped beating: marked interrupted (once, whoever gets there first), to be retried. */
    reapSilent: (silentSeconds: number, ex?: Executor) =>
      db.many<{ job_name: string; job_id: string }>(
        {
          name: 'jobs-reap',
          text: `UPDATE job_runs SET status = 'interrupted', finished_at = greatest(now(), started_at),
                        error = 'the worker stopped responding (no heartbeat): returned to the queue'
                  WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1)
                  RETURNING job_name, job_id`,
          values: [silentSeconds],
        },
        ex,
      ),

    /** This worker's runs still marked running when it stops (their jobs go back to the queue). */
    interruptWorker: (worker: string, ex?: Executor) =>
      db.execute(
        {
          name: 'jobs-interrupt-worker',
          text: `UPDATE job_runs SET status = 'interrupted', finished_at = greatest(now(), started_at),
                        error = 'the instance stopped before the run finished: returned to the queue'
                  WHERE worker = $1 AND status = 'running'`,
          values: [worker],
        },
        ex,
      ),

    /** The newest runs of each job; `failures` keeps only failed and interrupted ones. */
    recentRuns: (names: string[], limit: number, failures: boolean, ex?: Executor) =>
      db.many<RunRow>(
        {
          name: failures ? 'jobs-recent-failures' : 'jobs-recent-runs',
          text: `SELECT r.* FROM unnest($1::text[]) AS j(name)
                   CROSS JOIN LATERAL (
                     SELECT ${RUN_COLUMNS} FROM job_runs
                      WHERE job_name = j.name ${failures ? "AND status IN ('failed', 'interrupted')" : ''}
                      ORDER BY started_at DESC, id DESC LIMIT $2
                   ) r
                  ORDER BY r.job_name, r.started_at DESC, r.id DESC`,
          values: [names, limit],
        },
        ex,
      ),

    lastSuccesses: (ex?: Executor) =>
      db.many<{ job_name: string; finished_at: Date }>(
        {
          name: 'jobs-last-successes',
          text: `SELECT job_name, max(finished_at) AS finished_at FROM job_runs WHERE status = 'succeeded' GROUP BY job_name`,
        },
        ex,
      ),

    /** Jobs waiting, retrying or running, per job name (pg-boss's table, read only). */
    queueCounts: (names: string[], ex?: Executor) =>
      db.many<{ name: string; state: string; count: number }>(
        {
          name: 'jobs-queue-counts',
          text: `SELECT name, state::text AS state, count(*)::int AS count FROM pgboss.job
                  WHERE name = ANY($1::text[]) AND state < 'completed' GROUP BY name, state`,
          values: [names],
        },
        ex,
      ),

    existingQueues: (names: string[], ex?: Executor) =>
      db.many<{ name: string }>(
        { name: 'jobs-queues', text: 'SELECT name FROM pgboss.queue WHERE name = ANY($1::text[])', values: [names] },
        ex,
      ),

    /** Runs older than `days`, except each job's newest success (a monthly job's last success must not vanish). */
    pruneRuns: (days: number, ex?: Executor) =>
      db.execute(
        {
          name: 'jobs-prune-runs',
          text: `DELETE FROM job_runs WHERE status <> 'running' AND started_at < now() - make_interval(days => $1)
                    AND id NOT IN (SELECT max(id) FROM job_runs WHERE status = 'succeeded' GROUP BY job_name)`,
          values: [days],
        },
        ex,
      ),
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;
