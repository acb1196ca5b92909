/**
 * History: every statement that reads or writes `public.schema_migrations`, and
 * the status computed from it against the files.
 */
import { connect } from './connection.js';
import { loadMigrations, type MigrationFile } from './parse.js';
import { MIGRATIONS_DIR } from './paths.js';

export interface AppliedMigration {
  version: string;
  name: string;
  applied_at: Date;
  checksum: string;
  execution_ms: number;
  applied_by: string;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  /** Versions of files not applied yet, oldest first. */
  pending: string[];
  /** File names of applied migrations whose checksum changed. */
  drifted: string[];
  /** Applied versions whose file is gone. */
  missing: string[];
  /** Pending versions older than the newest applied one. */
  outOfOrder: string[];
}

export interface Queryable {
  // any: callers pass pg's Client, a Pool or an adapter whose row types differ.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query: (text: string, values?: unknown[]) => Promise<{ rows: any[] }>;
}

const HISTORY_EXISTS_SQL = `SELECT to_regclass('public.schema_migrations') IS NOT NULL AS present`;
const HISTORY_SELECT_SQL = `SELECT version, name, checksum, applied_at, execution_ms, applied_by
  FROM public.schema_migrations ORDER BY version`;
export const HISTORY_CREATE_SQL = `CREATE TABLE IF NOT EXISTS public.schema_migrations (
  version text PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  execution_ms integer NOT NULL,
  applied_by text NOT NULL
)`;
const HISTORY_INSERT_SQL = `INSERT INTO public.schema_migrations (version, name, checksum, execution_ms, applied_by)
  VALUES ($1, $2, $3, $4, current_user || ' (' || $5 || ')')`;
const HISTORY_DELETE_SQL = `DELETE FROM public.schema_migrations WHERE version = $1`;

export async function historyExists(q: Queryable): Promise<boolean> {
  return (await q.query(HISTORY_EXISTS_SQL)).rows[0]?.present === true;
}

export async function ensureHistory(q: Queryable): Promise<void> {
  if (!(await historyExists(q))) await q.query(HISTORY_CREATE_SQL);
}

export async function readApplied(q: Queryable): Promise<AppliedMigration[]> {
  if (!(await historyExists(q))) return [];
  return (await q.query(HISTORY_SELECT_SQL)).rows as AppliedMigration[];
}

/** The history read over a fresh connection, closed afterwards. */
export async function readAppliedFrom(connectionString: string): Promise<AppliedMigration[]> {
  const client = await connect(connectionString);
  try {
    return await readApplied(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Records an applied up section (`executionMs` so far) or forgets a reverted one. */
export async function recordStep(
  q: Queryable,
  file: MigrationFile,
  direction: 'up' | 'down',
  executionMs: number,
  appliedBy: string,
): Promise<void> {
  if (direction === 'up')
    await q.query(HISTORY_INSERT_SQL, [file.version, file.name, file.checksum, executionMs, appliedBy]);
  else await q.query(HISTORY_DELETE_SQL, [file.version]);
}

/** The history statement of one step as a script line (dry run, `--print`): the same SQL with literals. */
export function renderRecordStep(file: MigrationFile, direction: 'up' | 'down', appliedBy: string): string {
  return direction === 'up'
    ? 'INSERT INTO public.schema_migrations (version, name, checksum, execution_ms, applied_by) ' +
        `VALUES (${lit(file.version)}, ${lit(file.name)}, ${lit(file.checksum)}, <elapsed ms>, ` +
        `current_user || ' (' || ${lit(appliedBy)} || ')');`
    : `DELETE FROM public.schema_migrations WHERE version = ${lit(file.version)};`;
}

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export function computeStatus(files: MigrationFile[], applied: AppliedMigration[]): MigrationStatus {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const appliedVersions = new Set(applied.map((a) => a.version));
  const newestApplied = applied.reduce((max, a) => (a.version > max ? a.version : max), '');
  const pending = files.filter((f) => !appliedVersions.has(f.version)).map((f) => f.version);
  return {
    applied,
    pending,
    drifted: applied.flatMap((a) => {
      const f = byVersion.get(a.version);
      return f && f.checksum !== a.checksum ? [f.fileName] : [];
    }),
    missing: applied.filter((a) => !byVersion.has(a.version)).map((a) => a.version),
    outOfOrder: pending.filter((v) => v < newestApplied),
  };
}

/**
 * Cheap and read-only (two catalog/table reads plus the files); safe for a
 * readiness probe. A database without `schema_migrations` has everything pending.
 */
export async function readStatus(q: Queryable, dir: string = MIGRATIONS_DIR): Promise<MigrationStatus> {
  const files = await loadMigrations(dir);
  return computeStatus(files, await readApplied(q));
}

/** Status read over a fresh connection (CLI `status`, `validate`). */
export async function statusOf(connectionString: string, dir: string = MIGRATIONS_DIR): Promise<MigrationStatus> {
  const files = await loadMigrations(dir);
  return computeStatus(files, await readAppliedFrom(connectionString));
}

export function isUpToDate(status: MigrationStatus): boolean {
  return status.pending.length === 0 && status.drifted.length === 0 && status.missing.length === 0;
}
