/**
 * The migrator's own connection and the session-level advisory lock it holds
 * while it runs, so two runners never interleave.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { MigrationError } from './errors.js';

/** Key of the session-level advisory lock (bigint form); advisory locks are per database. */
export const MIGRATION_LOCK_KEY = '7130525948213806421';
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export async function connect(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString, application_name: 'acolhe-migrate' });
  client.on('error', () => undefined); // a dropped connection surfaces on the next query
  try {
    await client.connect();
  } catch (err) {
    throw new MigrationError(`cannot connect to ${redact(connectionString)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return client;
}

export interface LockOptions {
  connectionString: string;
  /** How long to wait for another runner's advisory lock (default 60 s). */
  lockTimeoutMs?: number | undefined;
  log?: ((line: string) => void) | undefined;
}

/** Runs `fn` on a fresh connection that holds the migration lock; always releases both. */
export async function withLockedConnection<T>(opts: LockOptions, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(opts.connectionString);
  try {
    await acquireLock(client, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, opts.log ?? (() => undefined));
    return await fn(client);
  } finally {
    // Ending the session releases the advisory lock too; unlocking first is just tidy.
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** Session-level lock on this connection: polled so the wait is bounded and reported. */
async function acquireLock(client: pg.Client, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [MIGRATION_LOCK_KEY]);
    if (rows[0]?.locked) return;
    if (!announced) {
      const holder = await describeLockHolder(client);
      log(`waiting for the migration lock (held by ${holder}), up to ${Math.round(timeoutMs / 1000)} s`);
      announced = true;
    }
    if (Date.now() >= deadline) {
      const holder = await describeLockHolder(client);
      throw new MigrationError(
        `could not take the migration lock within ${(timeoutMs / 1000).toFixed(1)} s: ` +
          `another runner (${holder}) is migrating this database. Retry when it has finished, or raise --lock-timeout.`,
      );
    }
    await sleep(Math.min(100, Math.max(10, deadline - Date.now())));
  }
}

async function describeLockHolder(client: pg.Client): Promise<string> {
  const { rows } = await client.query(
    `SELECT a.pid, a.application_name, a.usename, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [MIGRATION_LOCK_KEY],
  );
  const h = rows[0];
  if (!h) return 'a session that has just released it';
  const since = new Date(h.backend_start).toISOString();
  return `pid ${h.pid}, ${h.application_name || 'no application name'}, role ${h.usename}, connected at ${since}`;
}
