// The PostgreSQL client programs (pg_dump, pg_restore, psql): where they come from (PG_BIN_DIR when set, the
// client tools of the server's major version; else the PATH) and how they connect. One rule for the schema
// dump, backups and restores.
import path from 'node:path';

export type PgTool = 'pg_dump' | 'pg_restore';

export function pgToolPath(name: PgTool, env: NodeJS.ProcessEnv = process.env): string {
  return env.PG_BIN_DIR ? path.join(env.PG_BIN_DIR, name) : name;
}

/**
 * libpq environment for pg_dump/pg_restore/psql: the connection travels in PG* variables, the password in
 * PGPASSWORD (readable only by the same user, in /proc/<pid>/environ), never on the command line (any user
 * sees it in `ps`) nor in a log line. Spawn the tool without --dbname URL, with `env: libpqEnv(url)`.
 */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: u.hostname.replace(/^\[(.*)\]$/, '$1'), // [::1] in a URL, ::1 for libpq
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  delete env.DATABASE_URL;
  delete env.MIGRATION_DATABASE_URL;
  return env;
}
