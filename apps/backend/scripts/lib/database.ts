// "Connect to the configured database, else the embedded one" for command-line scripts (migrate, seed,
// backup, restore, verify): MIGRATION_DATABASE_URL, else DIRECT_DATABASE_URL, else DATABASE_URL, else the
// embedded development database under DATA_DIR (never in production). They hold session-level advisory locks,
// so they need a direct connection, never a transaction pooler. A running `npm start` on the same DATA_DIR is
// shared.
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../src/config.js';
import { ScriptError } from '../../src/database/client.js';

/** Loads <repo>/.env like the server does (variables already set win). */
export function loadDotEnv(): void {
  const file = path.join(REPO_ROOT, '.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

export { ScriptError, withClient, withDatabaseName } from '../../src/database/client.js';

export async function withDatabase<T>(log: (line: string) => void, fn: (url: string) => Promise<T>): Promise<T> {
  const url = process.env.MIGRATION_DATABASE_URL || process.env.DIRECT_DATABASE_URL || process.env.DATABASE_URL;
  if (url) return fn(url);
  if (process.env.NODE_ENV === 'production') {
    throw new ScriptError(
      'NODE_ENV=production and no MIGRATION_DATABASE_URL, DIRECT_DATABASE_URL or DATABASE_URL: there is no embedded database in production',
    );
  }
  const { loadConfig } = await import('../../src/config.js');
  const { startEmbeddedPostgres, ensureDatabase } = await import('../../src/platform/embedded.js');
  const server = await startEmbeddedPostgres({ dataDir: loadConfig().dataDir, log }).catch((err: Error) => {
    throw new ScriptError(`embedded PostgreSQL: ${err.message}`);
  });
  try {
    return await fn(await ensureDatabase(server.url, 'acolhe'));
  } finally {
    await server.stop();
  }
}
