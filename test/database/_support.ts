// Helpers for the migration engine tests: fixture directories, catalog snapshots, the CLI as a subprocess.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { childEnv } from '../helpers/child-env.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'apps/backend/scripts/migrate.ts');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');

export interface FixtureDir {
  dir: string;
  write(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
}

/** A temporary migrations directory, removed when the test ends. */
export async function fixtureDir(t: Test, files: Record<string, string> = {}): Promise<FixtureDir> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'acolhe-migrations-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fx: FixtureDir = {
    dir,
    write: (name, text) => writeFile(path.join(dir, name), text),
    remove: (name) => unlink(path.join(dir, name)),
  };
  for (const [name, text] of Object.entries(files)) await fx.write(name, text);
  return fx;
}

/** A migration file with the given up and down SQL. */
export const migration = (
  up: string,
  down: string,
  upMarker = '-- migrate:up',
  downMarker = '-- migrate:down',
): string => `${upMarker}\n${up}\n\n${downMarker}\n${down}\n`;

export { withClient } from '../../apps/backend/scripts/lib/database.js';
import { withClient } from '../../apps/backend/scripts/lib/database.js';

export const query = <R = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> =>
  withClient(url, async (c) => (await c.query(text, values)).rows as R[]);

export const appliedVersions = async (url: string): Promise<string[]> => {
  const [{ present }] = (await query<{ present: boolean }>(
    url,
    `SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present`,
  )) as [{ present: boolean }];
  if (!present) return [];
  return (await query<{ version: string }>(url, 'SELECT version FROM public.schema_migrations ORDER BY version')).map(
    (r) => r.version,
  );
};

export const relationExists = async (url: string, name: string): Promise<boolean> =>
  (await query<{ present: boolean }>(url, 'SELECT to_regclass($1) IS NOT NULL AS present', [name]))[0]!.present;

/** Every user-visible object outside the system schemas, as sorted "kind name" strings. */
export async function userObjects(url: string): Promise<string[]> {
  const rows = await query<{ o: string }>(
    url,
    `WITH user_ns AS (
       SELECT oid, nspname FROM pg_namespace
        WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp)')
     SELECT 'extension ' || extname AS o FROM pg_extension WHERE extname <> 'plpgsql'
     UNION ALL SELECT 'schema ' || nspname FROM user_ns WHERE nspname <> 'public'
     UNION ALL SELECT 'relation ' || c.oid::regclass::text FROM pg_class c JOIN user_ns n ON n.oid = c.relnamespace
     UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
     UNION ALL SELECT 'type ' || t.oid::regtype::text FROM pg_type t JOIN user_ns n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'r', 'm') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
     UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger
     ORDER BY 1`,
  );
  return rows.map((r) => r.o);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/migrate.ts as `npm run migrate` would, against the given database. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve) => {
    // DATABASE_URL from the caller's shell must not win over the test database.
    const merged = childEnv({ DATABASE_URL: undefined, ...env });
    execFile(TSX, [CLI, ...args], { env: merged, cwd: REPO, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
