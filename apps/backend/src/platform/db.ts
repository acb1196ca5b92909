// The only door to PostgreSQL: one pool, row-count asserting helpers, transactions with retry,
// SQLSTATE → API error mapping and a slow-query log that never prints parameter values.
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { DbError, RETRYABLE_TX_CODES, mapPgError } from './pg-errors.js';
import { createReplicaSet, parseLsn, RoutedRead, type Lsn, type ReplicaSet } from './replicas.js';

export { DbError } from './pg-errors.js';

/**
 * A statement: literal SQL with $n placeholders. `name` makes pg prepare it once per connection (unless
 * DATABASE_PREPARED_STATEMENTS=false: then it only labels the statement in logs and metrics).
 */
export interface Statement {
  text: string;
  values?: readonly unknown[];
  name?: string;
}

/** What run() needs of an executor (pg's own overloads of `query` do not unify). */
interface Queryable {
  query<R extends pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Pool, transaction client, a dedicated session client (the events relay's) or a request's routed reads
 * (replicas): repository functions take any.
 */
export type Executor = pg.Pool | pg.PoolClient | pg.Client | RoutedRead;

export interface DbOptions {
  connectionString: string;
  max: number;
  statementTimeoutMs: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  applicationName: string;
  slowQueryMs: number;
  log: FastifyBaseLogger;
  /**
   * false behind a transaction pooler without protocol-level prepared statements (PgBouncer < 1.21): a named
   * statement would be prepared on one server connection and executed on another. Default true.
   */
  preparedStatements?: boolean;
  /** Streaming read replicas for routed reads (platform/replicas.ts). */
  replicas?: { urls: string[]; maxLagMs: number };
}

export interface TransactionOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
  /** Acting user, read by audit triggers through current_setting('app.user_id'). */
  userId?: string | number | bigint;
  /**
   * The organisation's time zone (ORG_TIMEZONE) for triggers that compute a calendar day, read through
   * current_setting('app.org_timezone') (birth dates, the receipt day of a data-subject request).
   */
  timezone?: string;
  /** Attempts for serialization failures and deadlocks (40001, 40P01). */
  maxAttempts?: number;
  /** A read-only transaction may run on a request's routed replica (falls back to the primary). */
  reader?: Executor;
}

export interface QueryEvent {
  name: string;
  durationMs: number;
  ok: boolean;
  pgCode?: string;
}

export type Db = ReturnType<typeof createDb>;

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

// Data type parsers: bigint ids stay strings (no precision loss), `date` stays 'YYYY-MM-DD' (no time-zone shift).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createDb(opts: DbOptions) {
  const poolConfig = (connectionString: string): pg.PoolConfig => ({
    connectionString,
    max: opts.max,
    idleTimeoutMillis: opts.idleTimeoutMs,
    connectionTimeoutMillis: opts.connectTimeoutMs,
    statement_timeout: opts.statementTimeoutMs,
    application_name: opts.applicationName,
  });
  const pool = new pg.Pool(poolConfig(opts.connectionString));
  const prepared = opts.preparedStatements ?? true;
  // A connection that dies while idle in the pool must not crash the process.
  // Every client keeps an error listener for life: pg-pool drops its own while a client is checked out, and a
  // connection killed in that window (pg_terminate_backend, failover) would otherwise crash the process.
  // The failure still reaches the caller: the next query on that client fails and maps to a 503.
  pool.on('connect', (client) => client.on('error', () => {}));
  pool.on('error', (err) =>
    opts.log.warn(
      { err: { message: err.message, code: (err as DbError).pgCode ?? (err as { code?: string }).code } },
      'idle database client error',
    ),
  );

  const listeners: ((e: QueryEvent) => void)[] = [];
  // Work to run once the transaction of a client commits (cache invalidation): dropped on rollback or retry.
  const onCommit = new WeakMap<pg.PoolClient, (() => Promise<void>)[]>();
  let slowQueries = 0;

  async function run<R extends pg.QueryResultRow>(
    stmt: Statement,
    executor: Executor = pool,
  ): Promise<pg.QueryResult<R>> {
    const start = performance.now();
    const name = stmt.name ?? 'unnamed';
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await (executor as Queryable).query<R>({
          text: stmt.text,
          values: stmt.values as unknown[],
          name: prepared ? stmt.name : undefined,
        });
        observe(name, start, true);
        return res;
      } catch (err) {
        // A pooled connection killed while idle (failover, pg_terminate_backend) fails the next statement before
        // it runs; on the pool (autocommit) that statement never took effect, so one fresh connection retries it.
        if (executor === pool && attempt === 1 && isDeadConnection(err)) continue;
        const code = (err as { code?: string }).code;
        observe(name, start, false, code);
        throw mapPgError(err);
      }
    }
  }

  function observe(name: string, start: number, ok: boolean, pgCode?: string) {
    const durationMs = performance.now() - start;
    if (durationMs >= opts.slowQueryMs) {
      slowQueries++;
      opts.log.warn({ statement: name, duration_ms: Math.round(durationMs) }, 'slow query');
    }
    for (const l of listeners) l({ name, durationMs, ok, pgCode });
  }

  async function one<R extends pg.QueryResultRow>(stmt: Statement, ex?: Executor): Promise<R> {
    const { rows } = await run<R>(stmt, ex);
    if (rows.length !== 1) throw new Error(`Expected one row from ${stmt.name ?? 'query'}, got ${rows.length}`);
    return rows[0]!;
  }

  async function maybeOne<R extends pg.QueryResultRow>(stmt: Statement, ex?: Executor): Promise<R | null> {
    const { rows } = await run<R>(stmt, ex);
    if (rows.length > 1) throw new Error(`Expected at most one row from ${stmt.name ?? 'query'}, got ${rows.length}`);
    return rows[0] ?? null;
  }

  async function many<R extends pg.QueryResultRow>(stmt: Statement, ex?: Executor): Promise<R[]> {
    return (await run<R>(stmt, ex)).rows;
  }

  /** Runs a statement for its effect; returns the number of rows it touched. */
  async function execute(stmt: Statement, ex?: Executor): Promise<number> {
    return (await run(stmt, ex)).rowCount ?? 0;
  }

  async function transaction<T>(fn: (tx: pg.PoolClient) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
    const maxAttempts = o.maxAttempts ?? 3;
    const begin = `BEGIN ISOLATION LEVEL ${(o.isolation ?? 'read committed').toUpperCase()}${o.readOnly ? ' READ ONLY' : ''}`;
    // Writes, and transactions nobody routed, stay on the primary.
    const reader = o.reader instanceof RoutedRead ? o.reader : null;
    if (reader && !o.readOnly) throw new Error('only a read-only transaction may run on a replica');
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await (reader ? reader.connect() : pool.connect());
      } catch (err) {
        throw mapPgError(err);
      }
      let broken = false;
      // A connection killed between two statements: do not hand it back to the pool.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        try {
          await client.query(begin);
        } catch (err) {
          // Nothing ran yet: a connection that died while idle is replaced once, like a pool statement.
          if (attempt === 1 && isDeadConnection(err)) {
            broken = true;
            continue;
          }
          throw mapPgError(err);
        }
        if (o.userId !== undefined) {
          await run(
            { name: 'set-acting-user', text: "SELECT set_config('app.user_id', $1, true)", values: [String(o.userId)] },
            client,
          );
        }
        if (o.timezone !== undefined) {
          await run(
            { name: 'set-org-timezone', text: "SELECT set_config('app.org_timezone', $1, true)", values: [o.timezone] },
            client,
          );
        }
        onCommit.set(client, []);
        const result = await fn(client);
        await run({ text: 'COMMIT' }, client);
        const after = onCommit.get(client)!;
        onCommit.delete(client);
        // Committed: a failing callback is logged, never turned into a failed write.
        for (const f of after)
          await Promise.resolve()
            .then(f)
            .catch((err: Error) => opts.log.warn({ err: { message: err.message } }, 'after-commit work failed'));
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is gone: do not return it to the pool
        }
        // A read-only transaction the replica could not finish runs again on the primary.
        if (reader?.fellOver(err)) continue;
        const pgCode = err instanceof DbError ? err.pgCode : (err as { code?: string }).code;
        if (pgCode && RETRYABLE_TX_CODES.has(pgCode) && attempt < maxAttempts) {
          await sleep(10 * 2 ** attempt + Math.random() * 20);
          continue;
        }
        throw err instanceof Error && 'status' in err ? err : mapPgErrorIfPg(err);
      } finally {
        onCommit.delete(client);
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  /**
   * The rows of one statement, fetched `batchSize` at a time through a cursor on a client of its own: memory stays
   * constant however many rows there are, and the reader's pace sets the fetching (exports). The client goes back
   * to the pool when the rows end; a reader that stops early or fails closes it instead (its cursor is half read).
   * `reader`: a request's routed reads (app.reader): the client comes from its replica when that one accepts it.
   */
  async function* stream<R>(stmt: Statement, o: { batchSize?: number; reader?: Executor } = {}): AsyncGenerator<R> {
    const batchSize = o.batchSize ?? 500;
    let client: pg.PoolClient;
    try {
      client = await (o.reader instanceof RoutedRead ? o.reader.connect() : pool.connect());
    } catch (err) {
      throw mapPgError(err);
    }
    let finished = false;
    try {
      const rows = client.query(new QueryStream(stmt.text, stmt.values as unknown[], { batchSize }));
      for await (const row of rows) yield row as R;
      finished = true;
    } catch (err) {
      // Not timed like other statements: the reader's pace, not PostgreSQL's, sets how long the rows take.
      throw mapPgErrorIfPg(err);
    } finally {
      client.release(!finished);
    }
  }

  /** Cheap liveness check with its own deadline, for readiness probes. */
  async function ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`database ping timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([run({ name: 'health-ping', text: 'SELECT 1' }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const replicas: ReplicaSet | null = opts.replicas?.urls.length
    ? createReplicaSet({
        ...opts.replicas,
        poolConfig,
        describe: describeDatabaseUrl,
        primaryPosition: walPosition,
        log: opts.log,
      })
    : null;

  /** The primary's WAL insert position: every write committed before this call is at or below it. */
  async function walPosition(): Promise<Lsn> {
    const row = await one<{ lsn: string }>({
      name: 'wal-insert-position',
      text: 'SELECT pg_current_wal_insert_lsn()::text AS lsn',
    });
    return parseLsn(row.lsn);
  }

  /**
   * Where a routable read (a list, search, report or export) runs: a replica that has replayed `fence` (the
   * caller's last write) and is not lagging, else the primary. Without replicas, the pool itself.
   */
  function reader(fence: Lsn | null): Executor {
    if (!replicas) return pool;
    return new RoutedRead(replicas.pick(fence), pool, replicas);
  }

  /**
   * Runs `work` after the transaction of `tx` commits, before transaction() returns; never when it rolls back
   * (an attempt retried after a serialization failure drops what it registered). `tx` must be a client of
   * transaction(): anything else is a programming error.
   */
  function afterCommit(tx: Executor, work: () => Promise<void>): void {
    const list = onCommit.get(tx as pg.PoolClient);
    if (!list) throw new Error('afterCommit needs the client of a running db.transaction()');
    list.push(work);
  }

  return {
    pool,
    replicas,
    reader,
    walPosition,
    one,
    maybeOne,
    many,
    execute,
    transaction,
    afterCommit,
    stream,
    ping,
    onQuery: (l: (e: QueryEvent) => void) => listeners.push(l),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, slowQueries }),
    close: async () => {
      await replicas?.close();
      await pool.end();
    },
  };
}

/**
 * The connection was gone before the statement ran: the server's termination notice (57P01, 57P02) was
 * queued on it, or pg already marked it unusable. Such a statement never took effect.
 */
function isDeadConnection(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === '57P01' || code === '57P02' || /not queryable/i.test(err instanceof Error ? err.message : '');
}

function mapPgErrorIfPg(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'severity' in err ? mapPgError(err) : err;
}

/**
 * Waits for the database to accept connections, with bounded exponential backoff,
 * saying what it waits for (never the password).
 */
export async function waitForDatabase(
  connectionString: string,
  o: { maxWaitMs: number; log: (msg: string) => void; connectTimeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + o.maxWaitMs;
  const where = describeDatabaseUrl(connectionString);
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 5_000)) {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: o.connectTimeoutMs ?? 3_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      if (attempt > 1) o.log(`database ${where} is up`);
      return;
    } catch (err) {
      await client.end().catch(() => {});
      const reason = (err as Error).message || (err as { code?: string }).code || 'unknown error';
      if (Date.now() + delay > deadline) {
        throw new Error(`database ${where} still unreachable after ${Math.round(o.maxWaitMs / 1000)} s: ${reason}`);
      }
      o.log(`waiting for database ${where} (attempt ${attempt}, retry in ${delay} ms): ${reason}`);
      await sleep(delay);
    }
  }
}

/** host:port/dbname of a URL, for logs: never the user's password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** Pool options from the configuration: the one place they are read (the app's pool, the server's probe). */
export function dbOptions(config: Config, log: FastifyBaseLogger): DbOptions {
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set (server.ts resolves it before building the app)');
  return {
    connectionString: config.DATABASE_URL,
    max: config.DB_POOL_MAX,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    idleTimeoutMs: config.DB_IDLE_TIMEOUT_MS,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    applicationName: config.DB_APPLICATION_NAME,
    slowQueryMs: config.SLOW_QUERY_MS,
    log,
    preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    replicas: { urls: config.replicaUrls, maxLagMs: config.REPLICA_MAX_LAG_MS },
  };
}

/**
 * Behind a transaction pooler (DATABASE_PREPARED_STATEMENTS=false) the statement_timeout pg sends when it
 * connects may be dropped (PgBouncer's ignore_startup_parameters): say so at start, with the fix.
 */
async function warnIfTimeoutDropped(db: Db, wantedMs: number, log: FastifyBaseLogger): Promise<void> {
  const row = await db
    .one<{ ms: number }>({ text: "SELECT setting::int AS ms FROM pg_settings WHERE name = 'statement_timeout'" })
    .catch(() => null); // the database is away: the readiness probe says so
  if (row && row.ms !== wantedMs)
    log.warn(
      { statement_timeout_ms: row.ms, DB_STATEMENT_TIMEOUT_MS: wantedMs },
      'statement_timeout through the pooler is not DB_STATEMENT_TIMEOUT_MS (the pooler does not pass it on): set it on the role, see docs/runbooks/transaction-pooler.md',
    );
}

/** The `db` platform plugin: the app's one pool, closed with the app. */
export default fp(
  async function dbPlugin(app: FastifyInstance) {
    const db = createDb(dbOptions(app.config, app.log));
    app.decorate('db', db);
    if (!app.config.DATABASE_PREPARED_STATEMENTS)
      app.addHook('onReady', () => warnIfTimeoutDropped(db, app.config.DB_STATEMENT_TIMEOUT_MS, app.log));
    if (db.replicas) app.addHook('onReady', async () => db.replicas?.start());
    app.addHook('onClose', () => db.close());
  },
  { name: 'db', decorators: { fastify: ['config'] } },
);
