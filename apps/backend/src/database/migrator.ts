/**
 * The migration engine: timestamped UP/DOWN SQL files tracked in
 * `public.schema_migrations`. Used by the CLI (scripts/migrate.ts), the server
 * (readiness, `npm start`) and the tests. Depends on `pg` only.
 *
 * Why not an off-the-shelf tool: docs/adr/0001-migration-engine.md.
 * How to write a migration: docs/database/migrations.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { libpqEnv, pgToolPath } from './pg-tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const MIGRATIONS_DIR: string = path.join(here, 'migrations');
export const REPO_ROOT: string = path.resolve(here, '../../../..');
export const SCHEMA_DUMP_PATH: string = path.join(REPO_ROOT, 'docs/database/schema.sql');
/** Key of the session-level advisory lock (bigint form); advisory locks are per database. */
export const MIGRATION_LOCK_KEY = '7130525948213806421';
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
export const FILE_NAME_PATTERN = /^(\d{12})__([a-z0-9][a-z0-9_]*)\.sql$/;

// ---------------------------------------------------------------------------
// Errors

export class MigrationError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, opts: { file?: string; line?: number; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MigrationError';
    this.file = opts.file;
    this.line = opts.line;
    this.code = opts.code;
  }
}

// ---------------------------------------------------------------------------
// Files

export interface Statement {
  /** The statement text without its terminating semicolon. */
  sql: string;
  /** Offset of the statement's first character in the (LF-normalised) file. */
  offset: number;
  /** 1-based line in the file where the statement starts. */
  line: number;
}

export interface MigrationSection {
  direction: 'up' | 'down';
  /** false when the marker says `transaction:false`. */
  transaction: boolean;
  /** 1-based line of the section's marker; the section runs to the next marker or the end of file. */
  line: number;
  statements: Statement[];
}

export interface MigrationFile {
  version: string;
  name: string;
  fileName: string;
  path: string;
  /** SHA-256 (hex) of the file with CRLF normalised to LF. */
  checksum: string;
  /** The LF-normalised text. */
  text: string;
  up: MigrationSection;
  down: MigrationSection;
}

export function normaliseLineEndings(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export function checksumOf(text: string): string {
  return createHash('sha256').update(normaliseLineEndings(text), 'utf8').digest('hex');
}

/** Line number (1-based) of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);

/**
 * Splits SQL into statements the way PostgreSQL reads them: semicolons inside
 * quotes ('', E'', ""), dollar quotes ($$, $tag$), comments (--, nested block
 * comments) and SQL-standard bodies (BEGIN ATOMIC ... END) do not end a
 * statement. Leading comments and blanks are not part of a statement.
 */
export function splitStatements(sql: string, baseOffset = 0, fullText?: string): Statement[] {
  const out: Statement[] = [];
  let start = -1; // offset of the first significant character of the current statement
  let atomicDepth = 0;
  let prevWord = '';
  const n = sql.length;
  let i = 0;
  const push = (end: number): void => {
    if (start >= 0) {
      const text = sql.slice(start, end).trimEnd();
      const offset = baseOffset + start;
      out.push({ sql: text, offset, line: lineAt(fullText ?? sql, fullText ? offset : start) });
    }
    start = -1;
    prevWord = '';
    atomicDepth = 0;
  };
  const mark = (): void => {
    if (start < 0) start = i;
  };
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    mark();
    if (c === ';' && atomicDepth === 0) {
      push(i);
      i++;
      continue;
    }
    if (c === "'") {
      // E'...' honours backslash escapes; plain strings only '' (standard_conforming_strings).
      const prev = sql[i - 1];
      const escapes = (prev === 'E' || prev === 'e') && !isIdentChar(sql[i - 2]);
      i++;
      while (i < n) {
        const d = sql[i];
        if (escapes && d === '\\') i += 2;
        else if (d === "'" && sql[i + 1] === "'") i += 2;
        else if (d === "'") break;
        else i++;
      }
      i++;
      prevWord = '';
      continue;
    }
    if (c === '"') {
      i++;
      while (i < n && !(sql[i] === '"' && sql[i + 1] !== '"')) i += sql[i] === '"' ? 2 : 1;
      i++;
      prevWord = '';
      continue;
    }
    if (c === '$' && !isIdentChar(sql[i - 1])) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
        prevWord = '';
        continue;
      }
    }
    if (isIdentStart(c) && !isIdentChar(sql[i - 1])) {
      let j = i + 1;
      while (j < n && isIdentChar(sql[j])) j++;
      const word = sql.slice(i, j).toLowerCase();
      if (word === 'atomic' && prevWord === 'begin') atomicDepth++;
      else if (atomicDepth > 0 && word === 'case') atomicDepth++;
      else if (atomicDepth > 0 && word === 'end') atomicDepth--;
      prevWord = word;
      i = j;
      continue;
    }
    prevWord = '';
    i++;
  }
  push(n);
  return out;
}

const MARKER = /^--\s*migrate:(up|down)\b(.*)$/;

interface Marker {
  direction: 'up' | 'down';
  transaction: boolean;
  bodyStart: number; // offset just after the marker line
  lineStart: number; // offset of the marker line
  line: number;
}

function readMarkers(fileName: string, text: string): Marker[] {
  const markers: Marker[] = [];
  let offset = 0;
  let line = 1;
  for (const raw of text.split('\n')) {
    const m = MARKER.exec(raw.trimEnd());
    if (m) {
      let transaction = true;
      for (const opt of m[2]!.trim().split(/\s+/).filter(Boolean)) {
        if (opt === 'transaction:false') transaction = false;
        else if (opt === 'transaction:true') transaction = true;
        else
          throw new MigrationError(
            `${fileName}: line ${line}: unknown option "${opt}" on the migrate:${m[1]} marker (only transaction:false is known)`,
            { file: fileName, line },
          );
      }
      markers.push({
        direction: m[1] as 'up' | 'down',
        transaction,
        bodyStart: offset + raw.length + 1,
        lineStart: offset,
        line,
      });
    }
    offset += raw.length + 1;
    line++;
  }
  return markers;
}

/** Parses one migration file; throws a MigrationError naming the file and the reason. */
export function parseMigration(fileName: string, rawText: string, filePath = fileName): MigrationFile {
  const named = FILE_NAME_PATTERN.exec(fileName);
  if (!named) {
    throw new MigrationError(
      `${fileName}: malformed file name; expected YYYYMMDDHHMM__description.sql (description in lower case letters, digits and _)`,
      { file: fileName },
    );
  }
  const version = named[1]!;
  if (!isPlausibleTimestamp(version)) {
    throw new MigrationError(`${fileName}: "${version}" is not a valid UTC timestamp YYYYMMDDHHMM`, { file: fileName });
  }
  const text = normaliseLineEndings(rawText);
  const markers = readMarkers(fileName, text);
  const ups = markers.filter((m) => m.direction === 'up');
  const downs = markers.filter((m) => m.direction === 'down');
  if (ups.length !== 1 || downs.length !== 1) {
    const what =
      ups.length === 0
        ? 'no "-- migrate:up" section'
        : downs.length === 0
          ? 'no "-- migrate:down" section'
          : 'more than one up or down section';
    throw new MigrationError(
      `${fileName}: ${what}; a migration has exactly one "-- migrate:up" and one "-- migrate:down" section`,
      { file: fileName },
    );
  }
  const up = ups[0]!;
  const down = downs[0]!;
  if (down.lineStart < up.lineStart) {
    throw new MigrationError(
      `${fileName}: the "-- migrate:down" section (line ${down.line}) comes before "-- migrate:up" (line ${up.line}); write up first`,
      { file: fileName },
    );
  }
  const preamble = splitStatements(text.slice(0, up.lineStart), 0, text);
  if (preamble.length > 0) {
    throw new MigrationError(
      `${fileName}: line ${preamble[0]!.line}: SQL before "-- migrate:up" belongs to no section`,
      { file: fileName, line: preamble[0]!.line },
    );
  }
  return {
    version,
    name: named[2]!,
    fileName,
    path: filePath,
    checksum: checksumOf(text),
    text,
    up: section(fileName, text, up, text.slice(up.bodyStart, down.lineStart)),
    down: section(fileName, text, down, text.slice(down.bodyStart)),
  };
}

function section(fileName: string, text: string, marker: Marker, body: string): MigrationSection {
  const statements = splitStatements(body, marker.bodyStart, text);
  const where = `${fileName}: the ${marker.direction} section (line ${marker.line})`;
  if (statements.length === 0) {
    throw new MigrationError(
      `${where} is empty; write the SQL (for an irreversible change, a DO block that raises an error explaining why)`,
      { file: fileName, line: marker.line },
    );
  }
  if (!marker.transaction && statements.length !== 1) {
    throw new MigrationError(
      `${where} is marked transaction:false and must hold exactly one statement, but holds ${statements.length} (the 2nd starts at line ${statements[1]!.line}); put each non-transactional statement in its own file`,
      { file: fileName, line: statements[1]!.line },
    );
  }
  return { direction: marker.direction, transaction: marker.transaction, line: marker.line, statements };
}

function isPlausibleTimestamp(v: string): boolean {
  const month = Number(v.slice(4, 6));
  const day = Number(v.slice(6, 8));
  const hour = Number(v.slice(8, 10));
  const minute = Number(v.slice(10, 12));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59;
}

/**
 * Reads and parses every `*.sql` file of the directory, sorted by version.
 * Every problem is reported at once; other files (README, dotfiles) are ignored.
 */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.sql') && !f.startsWith('.')).sort();
  } catch (err) {
    throw new MigrationError(`cannot read the migrations directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const problems: string[] = [];
  const files: MigrationFile[] = [];
  for (const fileName of names) {
    const filePath = path.join(dir, fileName);
    try {
      files.push(parseMigration(fileName, await readFile(filePath, 'utf8'), filePath));
    } catch (err) {
      if (!(err instanceof MigrationError)) throw err;
      problems.push(err.message);
    }
  }
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.version);
    if (other)
      problems.push(`${f.fileName}: version ${f.version} is also used by ${other}; give one of them a later timestamp`);
    seen.set(f.version, f.fileName);
  }
  if (problems.length > 0) throw new MigrationError(problems.join('\n'));
  return files.sort((a, b) => compareVersions(a.version, b.version));
}

const compareVersions = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------
// Status

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
const HISTORY_SELECT_SQL = `SELECT version, name, checksum, applied_at, execution_ms, applied_by FROM public.schema_migrations ORDER BY version`;
const HISTORY_CREATE_SQL = `CREATE TABLE IF NOT EXISTS public.schema_migrations (
  version text PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  execution_ms integer NOT NULL,
  applied_by text NOT NULL
)`;
const HISTORY_INSERT_SQL = `INSERT INTO public.schema_migrations (version, name, checksum, execution_ms, applied_by) VALUES ($1, $2, $3, $4, current_user || ' (' || $5 || ')')`;
const HISTORY_DELETE_SQL = `DELETE FROM public.schema_migrations WHERE version = $1`;

async function readApplied(q: Queryable): Promise<AppliedMigration[]> {
  const { rows } = await q.query(HISTORY_EXISTS_SQL);
  if (!rows[0]?.present) return [];
  return (await q.query(HISTORY_SELECT_SQL)).rows as AppliedMigration[];
}

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

export function isUpToDate(status: MigrationStatus): boolean {
  return status.pending.length === 0 && status.drifted.length === 0 && status.missing.length === 0;
}

// ---------------------------------------------------------------------------
// Running

export interface StepReport {
  version: string;
  file: string;
  direction: 'up' | 'down';
  transaction: boolean;
  /** Wall time of the file including its history row; null in a dry run. */
  ms: number | null;
}

export interface RunOptions {
  connectionString: string;
  dir?: string;
  log?: (line: string) => void;
  /** How long to wait for another runner's advisory lock (default 60 s). */
  lockTimeoutMs?: number;
  /** Print what would run inside a READ ONLY transaction and execute nothing. */
  dryRun?: boolean;
  /** Recorded in schema_migrations.applied_by after the database role (default: os user@host). */
  appliedBy?: string;
}

export interface UpOptions extends RunOptions {
  allowOutOfOrder?: boolean;
  /** Apply pending migrations up to and including this version. */
  to?: string;
}

export interface DownOptions extends RunOptions {
  /** Number of migrations to roll back (default 1). */
  steps?: number;
  /** Roll back every applied migration newer than this version; "0" rolls back all. */
  to?: string;
}

export interface RunResult {
  /** Versions applied (up) or rolled back (down), in execution order; empty in a dry run. */
  applied: string[];
  steps: StepReport[];
  dryRun: boolean;
  /** The SQL that ran (or would run), as one script. */
  script: string;
}

export async function migrateUp(opts: UpOptions): Promise<RunResult> {
  const files = await loadMigrations(opts.dir ?? MIGRATIONS_DIR);
  return withMigrationSession(opts, (s) => s.up(files, opts));
}

export async function migrateDown(opts: DownOptions): Promise<RunResult> {
  const files = await loadMigrations(opts.dir ?? MIGRATIONS_DIR);
  return withMigrationSession(opts, (s) => s.down(files, opts));
}

/** Rolls back the newest applied migration and applies it again, under one lock. */
export async function migrateRedo(opts: RunOptions): Promise<RunResult> {
  const files = await loadMigrations(opts.dir ?? MIGRATIONS_DIR);
  return withMigrationSession(opts, (s) => s.redo(files));
}

/** Status read over a fresh connection (CLI `status`, `validate`). */
export async function statusOf(connectionString: string, dir: string = MIGRATIONS_DIR): Promise<MigrationStatus> {
  const files = await loadMigrations(dir);
  const client = await connect(connectionString);
  try {
    return computeStatus(files, await readApplied(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

async function connect(connectionString: string): Promise<pg.Client> {
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

async function withMigrationSession(opts: RunOptions, fn: (s: Session) => Promise<RunResult>): Promise<RunResult> {
  const client = await connect(opts.connectionString);
  try {
    await acquireLock(client, opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, opts.log ?? (() => undefined));
    return await fn(new Session(client, opts));
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
      log(
        `waiting for the migration lock (held by ${await describeLockHolder(client)}), up to ${Math.round(timeoutMs / 1000)} s`,
      );
      announced = true;
    }
    if (Date.now() >= deadline) {
      throw new MigrationError(
        `could not take the migration lock within ${(timeoutMs / 1000).toFixed(1)} s: another runner (${await describeLockHolder(client)}) is migrating this database. Retry when it has finished, or raise --lock-timeout.`,
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
  return h
    ? `pid ${h.pid}, ${h.application_name || 'no application name'}, role ${h.usename}, connected at ${new Date(h.backend_start).toISOString()}`
    : 'a session that has just released it';
}

interface UpPlanOptions {
  to?: string | undefined;
  allowOutOfOrder?: boolean | undefined;
  only?: string;
}

class Session {
  private readonly log: (line: string) => void;
  private readonly appliedBy: string;
  constructor(
    private readonly client: pg.Client,
    private readonly opts: RunOptions,
  ) {
    this.log = opts.log ?? (() => undefined);
    this.appliedBy = opts.appliedBy ?? defaultAppliedBy();
  }

  async up(files: MigrationFile[], o: UpPlanOptions): Promise<RunResult> {
    if (this.opts.dryRun) return this.dryRun(files, (status) => planUp(files, status, o), true);
    await this.ensureHistory();
    const status = computeStatus(files, await readApplied(this.client));
    const plan = planUp(files, status, o);
    for (const v of status.missing)
      this.log(`warning: ${v} is applied but its file is missing (was it deleted or renamed?)`);
    const steps: StepReport[] = [];
    for (const file of plan) steps.push(await this.apply(file, file.up));
    return {
      applied: steps.map((s) => s.version),
      steps,
      dryRun: false,
      script: plan.map((f) => renderStep(f, f.up, this.appliedBy)).join('\n'),
    };
  }

  async down(files: MigrationFile[], o: { steps?: number | undefined; to?: string | undefined }): Promise<RunResult> {
    if (this.opts.dryRun) return this.dryRun(files, (status) => planDown(files, status, o), false);
    const status = computeStatus(files, await readApplied(this.client));
    const plan = planDown(files, status, o);
    const steps: StepReport[] = [];
    for (const file of plan) steps.push(await this.apply(file, file.down));
    return {
      applied: steps.map((s) => s.version),
      steps,
      dryRun: false,
      script: plan.map((f) => renderStep(f, f.down, this.appliedBy)).join('\n'),
    };
  }

  async redo(files: MigrationFile[]): Promise<RunResult> {
    const down = await this.down(files, { steps: 1 });
    const version = down.steps[0]?.version;
    const file = files.find((f) => f.version === version);
    if (!file) return down;
    if (down.dryRun) {
      // The dry run changed nothing, so the up half is rendered rather than planned.
      const step: StepReport = {
        version: file.version,
        file: file.fileName,
        direction: 'up',
        transaction: file.up.transaction,
        ms: null,
      };
      return {
        ...down,
        steps: [...down.steps, step],
        script: `${down.script}\n${renderStep(file, file.up, this.appliedBy)}`,
      };
    }
    const up = await this.up(files, { only: file.version, allowOutOfOrder: true });
    return {
      applied: [...down.applied, ...up.applied],
      steps: [...down.steps, ...up.steps],
      dryRun: false,
      script: `${down.script}\n${up.script}`,
    };
  }

  /** Computes the plan inside a READ ONLY transaction and executes none of it. */
  private async dryRun(
    files: MigrationFile[],
    plan: (s: MigrationStatus) => MigrationFile[],
    isUp: boolean,
  ): Promise<RunResult> {
    await this.client.query('BEGIN TRANSACTION READ ONLY');
    try {
      const hasHistory = (await this.client.query(HISTORY_EXISTS_SQL)).rows[0]?.present === true;
      const chosen = plan(computeStatus(files, await readApplied(this.client)));
      const parts = chosen.map((f) => renderStep(f, isUp ? f.up : f.down, this.appliedBy));
      if (isUp && !hasHistory && chosen.length > 0) parts.unshift(`${HISTORY_CREATE_SQL};\n`);
      const script = [
        `-- dry run: ${chosen.length} migration(s) would be ${isUp ? 'applied' : 'rolled back'}; nothing was executed`,
        ...parts,
      ].join('\n');
      const steps = chosen.map((f) => ({
        version: f.version,
        file: f.fileName,
        direction: isUp ? ('up' as const) : ('down' as const),
        transaction: (isUp ? f.up : f.down).transaction,
        ms: null,
      }));
      return { applied: [], steps, dryRun: true, script };
    } finally {
      await this.client.query('ROLLBACK');
    }
  }

  private async ensureHistory(): Promise<void> {
    const { rows } = await this.client.query(HISTORY_EXISTS_SQL);
    if (!rows[0]?.present) await this.client.query(HISTORY_CREATE_SQL);
  }

  private async apply(file: MigrationFile, sec: MigrationSection): Promise<StepReport> {
    const t0 = performance.now();
    const record = (): Promise<unknown> =>
      sec.direction === 'up'
        ? this.client.query(HISTORY_INSERT_SQL, [
            file.version,
            file.name,
            file.checksum,
            Math.round(performance.now() - t0),
            this.appliedBy,
          ])
        : this.client.query(HISTORY_DELETE_SQL, [file.version]);
    if (sec.transaction) {
      await this.client.query('BEGIN');
      try {
        for (const stmt of sec.statements) await this.run(file, sec, stmt);
        await record();
        await this.client.query('COMMIT');
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } else {
      await this.run(file, sec, sec.statements[0]!);
      await record();
    }
    // A session-level SET in one file must not leak into the next one.
    await this.client.query('RESET ALL');
    const ms = Math.round(performance.now() - t0);
    this.log(`${sec.direction === 'up' ? 'applied ' : 'reverted'}  ${file.fileName}  ${ms} ms`);
    return { version: file.version, file: file.fileName, direction: sec.direction, transaction: sec.transaction, ms };
  }

  private async run(file: MigrationFile, sec: MigrationSection, stmt: Statement): Promise<void> {
    try {
      await this.client.query(stmt.sql); // simple protocol: no parameters, as psql would send it
    } catch (err) {
      throw statementError(file, sec, stmt, err);
    }
  }
}

function defaultAppliedBy(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return `${user}@${os.hostname()}`;
}

function planUp(files: MigrationFile[], status: MigrationStatus, o: UpPlanOptions): MigrationFile[] {
  if (status.drifted.length > 0) {
    throw new MigrationError(
      `refusing to migrate: applied migration(s) changed since they were applied: ${status.drifted.join(', ')}. ` +
        'An applied file is immutable: restore it, and put the change in a new migration.',
    );
  }
  if (o.to !== undefined && !files.some((f) => f.version === o.to)) {
    throw new MigrationError(`--to ${o.to}: no migration file has this version`);
  }
  const pending = new Set(status.pending);
  const chosen = files.filter(
    (f) =>
      pending.has(f.version) &&
      (o.to === undefined || f.version <= o.to) &&
      (o.only === undefined || f.version === o.only),
  );
  const early = chosen.filter((f) => status.outOfOrder.includes(f.version));
  if (early.length > 0 && !o.allowOutOfOrder) {
    const newest = status.applied.reduce((m, a) => (a.version > m ? a.version : m), '');
    throw new MigrationError(
      `refusing to migrate: pending migration(s) older than the newest applied one (${newest}): ${early.map((f) => f.fileName).join(', ')}. ` +
        'Rename the file with a newer timestamp, or run with --allow-out-of-order if applying it after newer ones is safe.',
    );
  }
  return chosen;
}

function planDown(
  files: MigrationFile[],
  status: MigrationStatus,
  o: { steps?: number | undefined; to?: string | undefined },
): MigrationFile[] {
  if (o.steps !== undefined && o.to !== undefined) throw new MigrationError('give either --steps or --to, not both');
  if (o.steps !== undefined && (!Number.isInteger(o.steps) || o.steps < 1))
    throw new MigrationError(`--steps must be a positive integer, got ${o.steps}`);
  if (o.to !== undefined && !/^(0|\d{12})$/.test(o.to))
    throw new MigrationError(`--to must be a version (YYYYMMDDHHMM) or 0, got "${o.to}"`);
  const newestFirst = [...status.applied].sort((a, b) => compareVersions(b.version, a.version));
  const targets =
    o.to !== undefined
      ? newestFirst.filter((a) => o.to === '0' || a.version > o.to!)
      : newestFirst.slice(0, o.steps ?? 1);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  return targets.map((a) => {
    const f = byVersion.get(a.version);
    if (!f)
      throw new MigrationError(
        `cannot roll back ${a.version} (${a.name}): its file is missing, so there is no down section to run`,
      );
    if (f.checksum !== a.checksum)
      throw new MigrationError(
        `refusing to roll back ${f.fileName}: the file changed since it was applied, so its down section may not match the schema`,
      );
    return f;
  });
}

function renderStep(file: MigrationFile, sec: MigrationSection, appliedBy: string): string {
  const body = sec.statements.map((s) => `${s.sql};`).join('\n');
  const history =
    sec.direction === 'up'
      ? `INSERT INTO public.schema_migrations (version, name, checksum, execution_ms, applied_by) VALUES (${lit(file.version)}, ${lit(file.name)}, ${lit(file.checksum)}, <elapsed ms>, current_user || ' (' || ${lit(appliedBy)} || ')');`
      : `DELETE FROM public.schema_migrations WHERE version = ${lit(file.version)};`;
  const head = `-- ${file.fileName} (${sec.direction}${sec.transaction ? '' : ', transaction:false'})`;
  return sec.transaction ? `${head}\nBEGIN;\n${body}\n${history}\nCOMMIT;\n` : `${head}\n${body}\n${history}\n`;
}

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function statementError(file: MigrationFile, sec: MigrationSection, stmt: Statement, err: unknown): MigrationError {
  const e = err as {
    message?: string;
    code?: string;
    position?: string;
    detail?: string;
    hint?: string;
    where?: string;
  };
  const position = Number(e.position);
  const offset = Number.isFinite(position) && position > 0 ? stmt.offset + position - 1 : stmt.offset;
  const line = lineAt(file.text, offset);
  const firstLine = stmt.sql.split('\n')[0]!;
  const lines = [
    `${file.fileName}: the ${sec.direction} section failed at line ${line}: ${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`,
    `  statement (line ${stmt.line}): ${firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine}${stmt.sql.includes('\n') ? ' ...' : ''}`,
  ];
  if (e.detail) lines.push(`  detail: ${e.detail}`);
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  if (e.where) lines.push(`  context: ${e.where.split('\n')[0]}`);
  lines.push(
    sec.transaction
      ? '  rolled back: nothing of this file was applied or recorded; later files were not run.'
      : '  this file runs outside a transaction and was not recorded; an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it before retrying.',
  );
  return new MigrationError(lines.join('\n'), {
    file: file.fileName,
    line,
    ...(e.code ? { code: e.code } : {}),
    cause: err,
  });
}

// ---------------------------------------------------------------------------
// Schema dump (docs/database/schema.sql and its staleness check)

/** Runs pg_dump --schema-only and normalises it so the same schema always yields the same text. */
export async function dumpSchema(connectionString: string): Promise<string> {
  const raw = await runPgDump(connectionString);
  const client = await connect(connectionString);
  let applied: AppliedMigration[];
  try {
    applied = await readApplied(client);
  } finally {
    await client.end().catch(() => undefined);
  }
  return `${normaliseDump(raw)}\n\n--\n-- Applied migrations (version name)\n--\n\n${applied.map((a) => `-- ${a.version} ${a.name}`).join('\n')}\n`;
}

export async function writeSchemaDump(connectionString: string, file: string = SCHEMA_DUMP_PATH): Promise<string> {
  const text = await dumpSchema(connectionString);
  await writeFile(file, text);
  return file;
}

/** Drops what varies between runs and versions: pg_dump 15.14+ random \restrict keys, version banners, SET lines. */
export function normaliseDump(raw: string): string {
  const kept = normaliseLineEndings(raw)
    .split('\n')
    .filter(
      (l) =>
        !/^\\(un)?restrict\b/.test(l) &&
        !/^-- Dumped (from database|by pg_dump) version/.test(l) &&
        !/^SET \w+ = /.test(l) &&
        !l.startsWith("SELECT pg_catalog.set_config('search_path'"),
    );
  const header = '-- Generated by `npm run migrate -- dump` from a migrated database. Do not edit by hand.';
  return `${header}\n\n${kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}`;
}

function runPgDump(connectionString: string): Promise<string> {
  const bin = pgToolPath('pg_dump');
  return new Promise((resolve, reject) => {
    // The connection (and its password) in libpq variables: never on the command line, where `ps` shows it.
    const child = spawn(bin, ['--schema-only', '--no-owner', '--no-privileges'], {
      env: libpqEnv(connectionString),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    child.on('error', (err) =>
      reject(
        new MigrationError(
          `cannot run ${bin}: ${err.message}. Install the PostgreSQL 15+ client (Debian: postgresql-client) or set PG_BIN_DIR.`,
          { cause: err },
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new MigrationError(`${bin} exited with ${code}: ${errText.trim()}`)),
    );
  });
}
