// Where the PostgreSQL client programs (pg_dump, pg_restore) come from: PG_BIN_DIR when set (the
// client tools of the server's major version), else the PATH. One rule for the schema dump and backups.
import path from 'node:path';

export type PgTool = 'pg_dump' | 'pg_restore';

export function pgToolPath(name: PgTool, env: NodeJS.ProcessEnv = process.env): string {
  return env.PG_BIN_DIR ? path.join(env.PG_BIN_DIR, name) : name;
}
