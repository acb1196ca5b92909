// SQL for reports. Reads are plain read-only statements (no writes beside them), so they can be sent to a
// replica. Each report reads its materialized view(s), or, for the benchmark and the smoke check, the same
// rows computed from the base tables by the SQL function the view materializes (source 'live').
import type { Db, Executor, Statement } from '../../platform/db.js';
import { SqlBuilder } from '../../platform/sql.js';
import { REPORT_VIEWS, type ReportName, type ReportView } from './catalogue.js';

export type Source = 'view' | 'live';

export interface ReportFilter {
  /** First day of the first month, YYYY-MM-01. */
  from: string;
  /** First day of the last month (included), YYYY-MM-01. */
  to: string;
  projectId: string | null;
}

export interface RefreshRow {
  id: string;
  trigger: 'user' | 'schedule' | 'system';
  requested_by: string | null;
  source: string | null;
  status: 'succeeded' | 'failed';
  error_code: string | null;
  timezone: string;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  views: Record<string, { rows: number; duration_ms: number }>;
}

/** What the refresh functions are called as: the view, or its function over the filter's months (live). */
const FUNCTIONS: Record<ReportView, string> = {
  report_attendance: 'report_attendance_rows',
  report_enrollments: 'report_enrollment_rows',
  report_served: 'report_served_rows',
  report_vulnerabilities: 'report_vulnerability_rows',
  report_capacity: 'report_capacity_rows',
};

/** Any constant distinct from the other advisory locks: one refresh at a time per database. */
export const REFRESH_LOCK_KEY = '5201948613370926411';

const REFRESH_COLUMNS = `id, trigger, requested_by, source, status, error_code, timezone, started_at, finished_at,
  duration_ms, views`;

/** The statement of a report's view rows in block order (month, then project). Identifiers from REPORT_VIEWS. */
function rowsStatement(name: ReportName, f: ReportFilter, source: Source): Statement {
  const q = new SqlBuilder();
  const from = q.param(f.from);
  const to = q.param(f.to);
  const src = (view: ReportView) =>
    source === 'view' ? view : `${FUNCTIONS[view]}(${from}::date, (${to}::date + interval '1 month')::date)`;
  const months = (alias: string) => `${alias}.month >= ${from}::date AND ${alias}.month <= ${to}::date`;
  // Organisation-wide reports: without a project, the organisation's rows (project_id NULL).
  const scope = (alias: string) =>
    f.projectId === null ? `${alias}.project_id IS NULL` : `${alias}.project_id = ${q.param(f.projectId)}::bigint`;
  const project = (alias: string) => (f.projectId === null ? 'true' : scope(alias));
  // Prepared once per connection for each shape (with or without a project).
  const label = `reports-${name}-${source}${f.projectId === null ? '' : '-project'}`;
  switch (name) {
    case 'attendance':
      return q.statement(
        `SELECT to_char(r.month, 'YYYY-MM') AS month, r.project_id, p.name::text AS project_name, r.workshop_id,
                w.title AS workshop_title, r.sessions_held, r.participants, r.marks, r.present
           FROM ${src('report_attendance')} r
           JOIN projects p ON p.id = r.project_id
           LEFT JOIN workshops w ON w.id = r.workshop_id
          WHERE ${months('r')} AND ${project('r')}
          ORDER BY r.month, r.project_id, r.workshop_id NULLS FIRST`,
        label,
      );
    case 'enrollment_funnel':
      return q.statement(
        `SELECT to_char(r.month, 'YYYY-MM') AS month, r.project_id, p.name::text AS project_name, r.requested,
                r.pending, r.rejected, r.approved, r.active, r.withdrawn, r.completed
           FROM ${src('report_enrollments')} r
           JOIN projects p ON p.id = r.project_id
          WHERE ${months('r')} AND ${project('r')}
          ORDER BY r.month, r.project_id`,
        label,
      );
    case 'people_served':
      return q.statement(
        `SELECT to_char(r.month, 'YYYY-MM') AS month, r.project_id, r.state, r.city_key, r.city,
                r.neighbourhood_key, r.neighbourhood, r.age_band, r.people
           FROM ${src('report_served')} r
          WHERE ${months('r')} AND ${scope('r')}
          ORDER BY r.month`,
        label,
      );
    case 'vulnerability_prevalence':
      // Every vulnerability of the catalogue (inactive ones only where someone has them), 0 where nobody does.
      return q.statement(
        `WITH served AS (
           SELECT r.month, r.project_id, sum(r.people)::integer AS people
             FROM ${src('report_served')} r
            WHERE ${months('r')} AND ${scope('r')}
            GROUP BY r.month, r.project_id),
         counts AS (
           SELECT r.month, r.vulnerability_id, r.people
             FROM ${src('report_vulnerabilities')} r
            WHERE ${months('r')} AND ${scope('r')})
         SELECT to_char(s.month, 'YYYY-MM') AS month, s.project_id, NULL::text AS vulnerability_code,
                NULL::text AS vulnerability_name, s.people
           FROM served s
         UNION ALL
         SELECT to_char(s.month, 'YYYY-MM'), s.project_id, v.code, v.name, COALESCE(c.people, 0)
           FROM served s
          CROSS JOIN vulnerabilities v
           LEFT JOIN counts c ON c.month = s.month AND c.vulnerability_id = v.id
          WHERE v.active OR c.people IS NOT NULL
          ORDER BY 1, 3 NULLS FIRST`,
        label,
      );
    case 'capacity_use':
      return q.statement(
        `SELECT to_char(r.month, 'YYYY-MM') AS month, r.project_id, p.name::text AS project_name, r.workshop_id,
                w.title AS workshop_title, r.capacity, r.seats
           FROM ${src('report_capacity')} r
           JOIN projects p ON p.id = r.project_id
           JOIN workshops w ON w.id = r.workshop_id
          WHERE ${months('r')} AND ${project('r')}
          ORDER BY r.month, r.project_id, r.workshop_id`,
        label,
      );
  }
}

export function createReportsRepository(db: Db) {
  return {
    rows: <R>(name: ReportName, f: ReportFilter, source: Source, ex?: Executor) =>
      db.many<R & Record<string, unknown>>(rowsStatement(name, f, source), ex),

    /** The same rows, streamed (exports). */
    stream: <R>(name: ReportName, f: ReportFilter, reader?: Executor) =>
      db.stream<R>(rowsStatement(name, f, 'view'), { reader }),

    /** How many view rows the filter selects (each is at least one row of the answer). */
    count: async (name: ReportName, f: ReportFilter, ex?: Executor) => {
      const stmt = rowsStatement(name, f, 'view');
      const { n } = await db.one<{ n: number }>(
        { text: `SELECT count(*)::integer AS n FROM (${stmt.text}) q`, values: stmt.values },
        ex,
      );
      return n;
    },

    projectExists: async (id: string, ex?: Executor) =>
      (await db.maybeOne(
        { name: 'reports-project', text: 'SELECT 1 FROM projects WHERE id = $1', values: [id] },
        ex,
      )) !== null,

    /** The newest succeeded refresh: the as_of of every report. */
    latestRefresh: (ex?: Executor) =>
      db.maybeOne<RefreshRow>(
        {
          name: 'reports-latest-refresh',
          text: `SELECT ${REFRESH_COLUMNS} FROM report_refreshes WHERE status = 'succeeded'
                  ORDER BY started_at DESC, id DESC LIMIT 1`,
        },
        ex,
      ),

    listRefreshes: (o: { beforeId: string | null; limit: number }, ex?: Executor) => {
      const q = new SqlBuilder().filter('before', o.beforeId, (v) => `id < ${v}::bigint`);
      return db.many<RefreshRow>(
        q.statement(
          `SELECT ${REFRESH_COLUMNS} FROM report_refreshes ${q.whereClause()} ORDER BY id DESC LIMIT ${q.param(o.limit + 1)}`,
          'reports-refreshes',
        ),
        ex,
      );
    },

    /** false when another refresh holds the lock (until its transaction ends). */
    tryRefreshLock: async (tx: Executor) =>
      (
        await db.one<{ ok: boolean }>(
          { text: 'SELECT pg_try_advisory_xact_lock($1::bigint) AS ok', values: [REFRESH_LOCK_KEY] },
          tx,
        )
      ).ok,

    /** The statement timeout of each refresh and the zone of its months, for this transaction only. */
    prepareRefresh: (o: { timeoutMs: number; timezone: string }, tx: Executor) =>
      db.execute(
        {
          text: "SELECT set_config('statement_timeout', $1, true), set_config('app.org_timezone', $2, true)",
          values: [String(o.timeoutMs), o.timezone],
        },
        tx,
      ),

    /** Refreshes one view without blocking its readers; returns its rows. */
    refreshView: async (view: ReportView, tx: Executor) => {
      if (!REPORT_VIEWS.includes(view)) throw new Error(`not a report view: ${view}`);
      await db.execute({ text: `REFRESH MATERIALIZED VIEW CONCURRENTLY ${view}` }, tx);
      return (await db.one<{ n: number }>({ text: `SELECT count(*)::integer AS n FROM ${view}` }, tx)).n;
    },

    /** The log row of a refresh that succeeded, in its own transaction: started_at is the transaction's start. */
    logSucceeded: (r: Pick<RefreshRow, 'trigger' | 'requested_by' | 'source' | 'timezone' | 'views'>, tx: Executor) =>
      db.one<RefreshRow>(
        {
          text: `INSERT INTO report_refreshes (trigger, requested_by, source, status, timezone, started_at, finished_at,
                                               duration_ms, views)
                 VALUES ($1, $2, $3, 'succeeded', $4, now(), clock_timestamp(),
                         floor(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer, $5)
                 RETURNING ${REFRESH_COLUMNS}`,
          values: [r.trigger, r.requested_by, r.source, r.timezone, JSON.stringify(r.views)],
        },
        tx,
      ),

    logFailed: (
      r: Pick<RefreshRow, 'trigger' | 'requested_by' | 'source' | 'timezone' | 'error_code'> & { started_at: Date },
    ) =>
      db.one<RefreshRow>({
        text: `INSERT INTO report_refreshes (trigger, requested_by, source, status, error_code, timezone, started_at,
                                             finished_at, duration_ms)
               VALUES ($1, $2, $3, 'failed', $4, $5, $6, clock_timestamp(),
                       floor(extract(epoch FROM clock_timestamp() - $6::timestamptz) * 1000)::integer)
               RETURNING ${REFRESH_COLUMNS}`,
        values: [r.trigger, r.requested_by, r.source, r.error_code, r.timezone, r.started_at],
      }),
  };
}

export type ReportsRepository = ReturnType<typeof createReportsRepository>;
