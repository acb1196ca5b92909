// One short-lived connection for operator work (backups, restores, scripts): opened, used, always closed.
// Not the app's pool: these need a session of their own (exported snapshots, advisory locks, CREATE DATABASE).
import pg from 'pg';

/** An error whose message is meant for the operator as it is: scripts print it without a stack, jobs record it. */
export class ScriptError extends Error {}

export async function withClient<T>(
  url: string,
  fn: (c: pg.Client) => Promise<T>,
  applicationName = 'acolhe-ops',
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  // A connection that dies while the work is under way fails the next query; it must not crash the process.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL with another database name (same server, same credentials). */
export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}
