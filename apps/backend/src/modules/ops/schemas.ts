// GET /api/v1/admin/database: what a DBA looks at first.
import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp } from '../../platform/schemas.js';
import { COUNTED_TABLES, type CountedTable } from './repository.js';

const Bytes = Type.Number({ description: 'bytes' });

export const DatabaseInsightQuery = Type.Object(
  {
    long_query_seconds: Type.Number({
      minimum: 0,
      maximum: 86_400,
      default: 5,
      description: 'report statements running at least this long',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'rows per list' }),
  },
  { additionalProperties: false },
);
export type DatabaseInsightQuery = Static<typeof DatabaseInsightQuery>;

const TableSize = Type.Object({
  schema: Type.String(),
  table: Type.String(),
  total_bytes: Bytes,
  table_bytes: Bytes,
  index_bytes: Bytes,
  row_estimate: Type.Union([Type.Number(), Type.Null()], { description: 'planner estimate; null when never analysed' }),
});
const IndexSize = Type.Object({
  schema: Type.String(),
  table: Type.String(),
  index: Type.String(),
  size_bytes: Bytes,
  scans: Type.Number({ description: 'index scans since the statistics were reset' }),
  row_estimate: Type.Union([Type.Number(), Type.Null()]),
});
const UnusedIndex = Type.Object({
  schema: Type.String(),
  table: Type.String(),
  index: Type.String(),
  size_bytes: Bytes,
  definition: Type.String(),
});
const Activity = Type.Object({
  pid: Type.Integer(),
  user: Nullable(Type.String()),
  application_name: Type.String(),
  state: Nullable(Type.String()),
  wait_event_type: Nullable(Type.String()),
  wait_event: Nullable(Type.String()),
  query_start: Nullable(Timestamp),
  duration_seconds: Type.Number(),
  query: Type.Union([Type.String(), Type.Null()], {
    description: 'first 1000 characters; null without pg_read_all_stats',
  }),
});
const TopStatement = Type.Object({
  query_id: Type.String(),
  query: Type.String({ description: 'normalised text ($n in place of values), first 1000 characters' }),
  calls: Type.Number(),
  total_ms: Type.Number(),
  mean_ms: Type.Number(),
  max_ms: Type.Number(),
  rows: Type.Number(),
  shared_blks_hit_ratio: Nullable(Type.Number()),
});

export const DatabaseInsight = Type.Object({
  generated_at: Timestamp,
  database: Type.Object({
    name: Type.String(),
    server_version: Type.String(),
    size_bytes: Bytes,
    size_pretty: Type.String(),
    stats_reset: Type.Union([Timestamp, Type.Null()], {
      description: 'scan counts and hit ratios are since this moment',
    }),
  }),
  cache_hit_ratio: Type.Object({
    database: Nullable(Type.Number({ description: 'blocks found in shared buffers / blocks requested; 0..1' })),
    tables: Nullable(Type.Number()),
    indexes: Nullable(Type.Number()),
  }),
  connections: Type.Object({
    max_connections: Type.Integer(),
    total: Type.Integer({ description: 'client backends of the whole server' }),
    by_state: Type.Array(Type.Object({ state: Type.String(), count: Type.Integer() }), {
      description: 'client backends of this database',
    }),
  }),
  largest_tables: Type.Array(TableSize),
  largest_indexes: Type.Array(IndexSize),
  unused_indexes: Type.Array(UnusedIndex, {
    description:
      'never scanned since the statistics reset; unique, primary key and exclusion indexes excluded (they enforce rules)',
  }),
  long_running_queries: Type.Object({ threshold_seconds: Type.Number(), queries: Type.Array(Activity) }),
  top_statements: Type.Union([
    Type.Object({ available: Type.Literal(true), statements: Type.Array(TopStatement) }),
    Type.Object({ available: Type.Literal(false), reason: Type.String() }),
  ]),
});
export type DatabaseInsight = Static<typeof DatabaseInsight>;

export const SystemInfo = Type.Object({
  version: Type.String({ description: 'version of the API (apps/backend/package.json)' }),
  git_commit: Nullable(Type.String({ description: 'GIT_COMMIT, or the checkout; null when unknown' })),
  build_time: Nullable(Timestamp),
  started_at: Timestamp,
  uptime_seconds: Type.Number(),
  time_zone: Type.Object({
    organisation: Type.String({ description: 'ORG_TIMEZONE: calendar days are counted here' }),
    process: Type.String({ description: 'the time zone of this process' }),
    database: Type.String({ description: 'TimeZone of the database session' }),
  }),
  node_version: Type.String(),
  postgresql_version: Type.String(),
  schema: Type.Object({
    version: Nullable(Type.String({ description: 'the last migration applied (schema_migrations)' })),
    name: Nullable(Type.String()),
    applied_at: Nullable(Timestamp),
  }),
  counts: Type.Object(
    Object.fromEntries(COUNTED_TABLES.map((t) => [t, Type.Integer({ minimum: 0 })])) as Record<
      CountedTable,
      ReturnType<typeof Type.Integer>
    >,
    { description: 'rows per main table, counted exactly' },
  ),
});
export type SystemInfo = Static<typeof SystemInfo>;
