// Assembles the database insight in one READ ONLY transaction (one connection, not one per list).
import type pg from 'pg';
import type { Db } from '../../platform/db.js';
import { DbError } from '../../platform/db.js';
import type { Config } from '../../config.js';
import type { OpsRepository } from './repository.js';
import { createScheduledOps } from './scheduled.js';
import type { DatabaseInsight, DatabaseInsightQuery, SystemInfo } from './schemas.js';
import { buildInfo } from '../../platform/build-info.js';

export function createOpsService(d: { db: Db; repo: OpsRepository; config: Config }) {
  const { db, repo } = d;
  const scheduled = createScheduledOps(d);
  const startedAt = new Date(Date.now() - process.uptime() * 1000);

  async function topStatements(limit: number, tx: pg.PoolClient): Promise<DatabaseInsight['top_statements']> {
    // A savepoint: the view errors when the library is not preloaded, and that must not abort the rest.
    await tx.query('SAVEPOINT pgss');
    try {
      const statements = (await repo.topStatements(limit, tx)) as
        Extract<DatabaseInsight['top_statements'], { available: true }>['statements'] | null;
      await tx.query('RELEASE SAVEPOINT pgss');
      if (!statements)
        return {
          available: false,
          reason:
            'the pg_stat_statements extension is not created in this database (CREATE EXTENSION pg_stat_statements, as a superuser)',
        };
      return { available: true, statements };
    } catch (err) {
      await tx.query('ROLLBACK TO SAVEPOINT pgss');
      if (err instanceof DbError && err.status < 500) throw err;
      return {
        available: false,
        reason:
          'pg_stat_statements is created but not collecting: add it to shared_preload_libraries and restart PostgreSQL',
      };
    }
  }

  return {
    ...scheduled,
    /** GET /system: what is running, where, since when, on which schema, and how much data it holds. */
    async system(): Promise<SystemInfo> {
      const { facts, counts } = await db.transaction(
        async (tx) => ({ facts: await repo.system(tx), counts: await repo.counts(tx) }),
        { readOnly: true, isolation: 'repeatable read' },
      );
      return {
        ...buildInfo(d.config),
        started_at: startedAt,
        uptime_seconds: Math.round(process.uptime()),
        time_zone: {
          organisation: d.config.ORG_TIMEZONE,
          process: Intl.DateTimeFormat().resolvedOptions().timeZone,
          database: facts.time_zone,
        },
        node_version: process.version,
        postgresql_version: facts.server_version,
        schema: { version: facts.schema_version, name: facts.schema_name, applied_at: facts.schema_applied_at },
        counts,
      };
    },

    async databaseInsight(q: DatabaseInsightQuery): Promise<DatabaseInsight> {
      return db.transaction(
        async (tx) => {
          const database = await repo.database(tx);
          const cache = await repo.cacheHit(tx);
          const connections = await repo.connections(tx);
          const totals = connections[0]; // this very connection is one of them
          return {
            generated_at: new Date(),
            database: {
              name: database.name,
              server_version: database.server_version,
              size_bytes: database.size_bytes,
              size_pretty: database.size_pretty,
              stats_reset: database.stats_reset,
            },
            cache_hit_ratio: {
              database:
                database.blks_hit + database.blks_read > 0
                  ? database.blks_hit / (database.blks_hit + database.blks_read)
                  : null,
              tables: cache.tables,
              indexes: cache.indexes,
            },
            connections: {
              max_connections: totals?.max_connections ?? 0,
              total: totals?.total ?? 0,
              by_state: connections.map((c) => ({ state: c.state, count: c.count })),
            },
            largest_tables: (await repo.largestTables(q.limit, tx)) as DatabaseInsight['largest_tables'],
            largest_indexes: (await repo.largestIndexes(q.limit, tx)) as DatabaseInsight['largest_indexes'],
            unused_indexes: (await repo.unusedIndexes(q.limit, tx)) as DatabaseInsight['unused_indexes'],
            long_running_queries: {
              threshold_seconds: q.long_query_seconds,
              queries: (await repo.longRunning(
                q.long_query_seconds,
                q.limit,
                tx,
              )) as DatabaseInsight['long_running_queries']['queries'],
            },
            top_statements: await topStatements(q.limit, tx),
          };
        },
        { readOnly: true },
      );
    },
  };
}

export type OpsService = ReturnType<typeof createOpsService>;
