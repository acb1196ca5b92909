// Catalogue and statistics views, and the row counts of the main tables for GET /system.
import type { Db, Executor } from '../../platform/db.js';

const USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'";

export interface DatabaseRow {
  name: string;
  server_version: string;
  size_bytes: number;
  size_pretty: string;
  stats_reset: Date | null;
  blks_hit: number;
  blks_read: number;
}

/** The schemas maintenance looks after: the application's and the job queue's. */
const APP_SCHEMAS = "('public', 'pgboss')";
/** The main tables GET /system counts (a whitelist: these names are the only identifiers written into SQL). */
export const COUNTED_TABLES = [
  'users',
  'roles',
  'beneficiaries',
  'projects',
  'workshops',
  'enrollments',
  'workshop_participants',
  'attendance',
  'sessions',
  'audit_log',
] as const;
export type CountedTable = (typeof COUNTED_TABLES)[number];

const COUNTS = COUNTED_TABLES.map((t) => `SELECT '${t}' AS table_name, count(*)::float8 AS rows FROM ${t}`).join(
  ' UNION ALL ',
);

export function createOpsRepository(db: Db) {
  return {
    /** Versions and time zones of the server, and the last migration applied. */
    system: (ex?: Executor) =>
      db.one<{
        server_version: string;
        time_zone: string;
        schema_version: string | null;
        schema_name: string | null;
        schema_applied_at: Date | null;
      }>(
        {
          name: 'ops-system',
          text: `SELECT current_setting('server_version') AS server_version, current_setting('TimeZone') AS time_zone,
                        m.version AS schema_version, m.name AS schema_name, m.applied_at AS schema_applied_at
                   FROM (SELECT 1) AS one
                   LEFT JOIN LATERAL (SELECT version, name, applied_at FROM schema_migrations
                                       ORDER BY version DESC LIMIT 1) AS m ON true`,
        },
        ex,
      ),

    /** Exact row counts of the main tables (one statement, one snapshot). */
    counts: async (ex?: Executor) =>
      Object.fromEntries(
        (await db.many<{ table_name: CountedTable; rows: number }>({ name: 'ops-counts', text: COUNTS }, ex)).map(
          (r) => [r.table_name, r.rows],
        ),
      ) as Record<CountedTable, number>,

    database: (ex?: Executor) =>
      db.one<DatabaseRow>(
        {
          name: 'ops-database',
          text: `SELECT current_database() AS name, current_setting('server_version') AS server_version,
                        pg_database_size(d.datid)::float8 AS size_bytes, pg_size_pretty(pg_database_size(d.datid)) AS size_pretty,
                        d.stats_reset, d.blks_hit::float8 AS blks_hit, d.blks_read::float8 AS blks_read
                   FROM pg_stat_database d WHERE d.datname = current_database()`,
        },
        ex,
      ),

    cacheHit: (ex?: Executor) =>
      db.one<{ tables: number | null; indexes: number | null }>(
        {
          name: 'ops-cache-hit',
          text: `SELECT (SELECT sum(heap_blks_hit)::float8 / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) FROM pg_statio_user_tables) AS tables,
                        (SELECT sum(idx_blks_hit)::float8 / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) FROM pg_statio_user_indexes) AS indexes`,
        },
        ex,
      ),

    connections: (ex?: Executor) =>
      db.many<{ state: string; count: number; max_connections: number; total: number }>(
        {
          name: 'ops-connections',
          text: `SELECT coalesce(a.state, 'unknown') AS state, count(*)::int AS count,
                        current_setting('max_connections')::int AS max_connections,
                        (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS total
                   FROM pg_stat_activity a
                  WHERE a.datname = current_database() AND a.backend_type = 'client backend'
                  GROUP BY 1 ORDER BY 2 DESC, 1`,
        },
        ex,
      ),

    largestTables: (limit: number, ex?: Executor) =>
      db.many(
        {
          name: 'ops-largest-tables',
          text: `SELECT n.nspname AS schema, c.relname AS table,
                        pg_total_relation_size(c.oid)::float8 AS total_bytes, pg_relation_size(c.oid)::float8 AS table_bytes,
                        pg_indexes_size(c.oid)::float8 AS index_bytes,
                        CASE WHEN c.reltuples >= 0 THEN c.reltuples::float8 ELSE s.n_live_tup::float8 END AS row_estimate
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
                  WHERE c.relkind IN ('r', 'p', 'm') AND ${USER_SCHEMAS}
                  ORDER BY pg_total_relation_size(c.oid) DESC, c.relname LIMIT $1`,
          values: [limit],
        },
        ex,
      ),

    largestIndexes: (limit: number, ex?: Executor) =>
      db.many(
        {
          name: 'ops-largest-indexes',
          text: `SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index,
                        pg_relation_size(s.indexrelid)::float8 AS size_bytes, s.idx_scan::float8 AS scans,
                        CASE WHEN c.reltuples >= 0 THEN c.reltuples::float8 END AS row_estimate
                   FROM pg_stat_user_indexes s JOIN pg_class c ON c.oid = s.indexrelid
                  ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname LIMIT $1`,
          values: [limit],
        },
        ex,
      ),

    unusedIndexes: (limit: number, ex?: Executor) =>
      db.many(
        {
          name: 'ops-unused-indexes',
          text: `SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index,
                        pg_relation_size(s.indexrelid)::float8 AS size_bytes, pg_get_indexdef(s.indexrelid) AS definition
                   FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
                  WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND NOT i.indisexclusion
                  ORDER BY pg_relation_size(s.indexrelid) DESC, s.indexrelname LIMIT $1`,
          values: [limit],
        },
        ex,
      ),

    longRunning: (seconds: number, limit: number, ex?: Executor) =>
      db.many(
        {
          name: 'ops-long-running',
          text: `SELECT pid, usename AS user, application_name, state, wait_event_type, wait_event, query_start,
                        extract(epoch FROM clock_timestamp() - query_start)::float8 AS duration_seconds, left(query, 1000) AS query
                   FROM pg_stat_activity
                  WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                    AND state IS DISTINCT FROM 'idle' AND query_start <= clock_timestamp() - make_interval(secs => $1)
                  ORDER BY query_start LIMIT $2`,
          values: [seconds, limit],
        },
        ex,
      ),

    /**
     * The most expensive statements, or null when pg_stat_statements is not created in this database. The
     * extension may live in any schema: its name is quoted by PostgreSQL itself (quote_ident) before it is
     * written into the statement, the one identifier this file does not take from a literal.
     */
    topStatements: async (limit: number, ex?: Executor) => {
      const ext = await db.maybeOne<{ schema: string }>(
        {
          name: 'ops-pgss-schema',
          text: `SELECT quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pg_stat_statements'`,
        },
        ex,
      );
      if (!ext) return null;
      return db.many(
        {
          text: `SELECT queryid::text AS query_id, left(query, 1000) AS query, calls::float8 AS calls,
                        total_exec_time AS total_ms, mean_exec_time AS mean_ms, max_exec_time AS max_ms, rows::float8 AS rows,
                        shared_blks_hit::float8 / nullif(shared_blks_hit + shared_blks_read, 0) AS shared_blks_hit_ratio
                   FROM ${ext.schema}.pg_stat_statements
                  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  ORDER BY total_exec_time DESC LIMIT $1`,
          values: [limit],
        },
        ex,
      );
    },

    /**
     * Tables whose statistics are stale: never analysed though they hold rows, or changed since their last
     * ANALYZE by more than autovacuum's own threshold (autovacuum has not caught up, or is off for them).
     */
    staleStatistics: (ex?: Executor) =>
      db.many<{ oid: string; name: string; modified: number }>(
        {
          name: 'ops-stale-statistics',
          text: `SELECT s.relid::bigint AS oid, format('%I.%I', s.schemaname, s.relname) AS name,
                        s.n_mod_since_analyze::float8 AS modified
                   FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
                  WHERE s.schemaname IN ${APP_SCHEMAS}
                    AND ((coalesce(s.last_analyze, s.last_autoanalyze) IS NULL AND s.n_live_tup > 0)
                         OR s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
                              + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0))
                  ORDER BY s.n_mod_since_analyze DESC, 2`,
        },
        ex,
      ),

    /** ANALYZE one table, as its owner (public.maintenance_analyze: the application role owns no table). */
    analyze: (oid: string, ex?: Executor) =>
      db.execute(
        { name: 'ops-analyze', text: 'SELECT public.maintenance_analyze($1::oid::regclass)', values: [oid] },
        ex,
      ),

    deadTuples: (limit: number, ex?: Executor) =>
      db.many<{ table: string; live: number; dead: number; dead_ratio: number | null; last_vacuum: Date | null }>(
        {
          name: 'ops-dead-tuples',
          text: `SELECT format('%I.%I', schemaname, relname) AS table, n_live_tup::float8 AS live, n_dead_tup::float8 AS dead,
                        n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0) AS dead_ratio,
                        greatest(last_vacuum, last_autovacuum) AS last_vacuum
                   FROM pg_stat_user_tables
                  WHERE schemaname IN ${APP_SCHEMAS} AND n_dead_tup > 0
                  ORDER BY n_dead_tup DESC, 1 LIMIT $1`,
          values: [limit],
        },
        ex,
      ),

    /**
     * Estimated table bloat: pages held against the pages its rows need (tuple header, item pointer and the
     * average width of its columns from pg_stats). An estimate, for spotting tables worth a VACUUM FULL or
     * pg_repack; meaningful once the table has been analysed.
     */
    bloatEstimate: (limit: number, ex?: Executor) =>
      db.many<{ table: string; size_bytes: number; bloat_bytes: number; bloat_ratio: number }>(
        {
          name: 'ops-bloat-estimate',
          text: `WITH t AS (
                   SELECT format('%I.%I', n.nspname, c.relname) AS table, c.relpages::float8 AS pages,
                          c.reltuples::float8 AS tuples, current_setting('block_size')::float8 AS bs,
                          (SELECT coalesce(sum(s.avg_width), 0) FROM pg_stats s
                            WHERE s.schemaname = n.nspname AND s.tablename = c.relname)::float8 AS width
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind = 'r' AND n.nspname IN ${APP_SCHEMAS} AND c.relpages >= 8 AND c.reltuples > 0
                 ), e AS (
                   SELECT t.table, t.pages * t.bs AS size_bytes,
                          greatest(t.pages - ceil(t.tuples * (28 + t.width) / (t.bs - 24)), 0) * t.bs AS bloat_bytes
                     FROM t
                 )
                 SELECT e.table, e.size_bytes, e.bloat_bytes, e.bloat_bytes / e.size_bytes AS bloat_ratio
                   FROM e WHERE e.bloat_bytes > 0 ORDER BY e.bloat_bytes DESC, 1 LIMIT $1`,
          values: [limit],
        },
        ex,
      ),

    amcheckInstalled: (ex?: Executor) =>
      db.one<{ ok: boolean }>(
        {
          name: 'ops-amcheck-installed',
          text: "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck') AS ok",
        },
        ex,
      ),

    /** The btree indexes amcheck can verify, in a stable order (for the rotation). */
    btreeIndexes: (ex?: Executor) =>
      db.many<{ oid: string; name: string }>(
        {
          name: 'ops-btree-indexes',
          text: `SELECT i.indexrelid::bigint AS oid, format('%I.%I', n.nspname, c.relname) AS name
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE am.amname = 'btree' AND c.relkind = 'i' AND i.indisvalid AND i.indisready
                    AND c.relpersistence <> 't' AND n.nspname IN ${APP_SCHEMAS}
                  ORDER BY i.indexrelid`,
        },
        ex,
      ),

    /** amcheck's bt_index_check on one index (public.maintenance_check_index); throws on corruption. */
    checkIndex: (oid: string, ex?: Executor) =>
      db.execute(
        { name: 'ops-check-index', text: 'SELECT public.maintenance_check_index($1::oid::regclass)', values: [oid] },
        ex,
      ),
  };
}

export type OpsRepository = ReturnType<typeof createOpsRepository>;
