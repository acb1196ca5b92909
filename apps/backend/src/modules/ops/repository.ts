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
  };
}

export type OpsRepository = ReturnType<typeof createOpsRepository>;
