/**
 * Running: applies and reverts migration files over one connection that holds
 * the migration lock, each file in its own transaction (unless marked
 * `transaction:false`) together with its history row.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { withLockedConnection } from './connection.js';
import { MigrationError } from './errors.js';
import {
  computeStatus,
  ensureHistory,
  HISTORY_CREATE_SQL,
  historyExists,
  readApplied,
  recordStep,
  type MigrationStatus,
} from './history.js';
import { lineAt, loadMigrations, type MigrationFile, type MigrationSection, type Statement } from './parse.js';
import { MIGRATIONS_DIR } from './paths.js';
import { planDown, planUp, renderStep, type DownPlanOptions, type UpPlanOptions } from './plan.js';

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
  return withRunner(opts, (r) => r.up(files, opts));
}

export async function migrateDown(opts: DownOptions): Promise<RunResult> {
  const files = await loadMigrations(opts.dir ?? MIGRATIONS_DIR);
  return withRunner(opts, (r) => r.down(files, opts));
}

/** Rolls back the newest applied migration and applies it again, under one lock. */
export async function migrateRedo(opts: RunOptions): Promise<RunResult> {
  const files = await loadMigrations(opts.dir ?? MIGRATIONS_DIR);
  return withRunner(opts, (r) => r.redo(files));
}

function withRunner(opts: RunOptions, fn: (r: MigrationRunner) => Promise<RunResult>): Promise<RunResult> {
  return withLockedConnection(opts, (client) => fn(new MigrationRunner(client, opts)));
}

/** Plans and executes up, down and redo runs on a connection that already holds the migration lock. */
class MigrationRunner {
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
    await ensureHistory(this.client);
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

  async down(files: MigrationFile[], o: DownPlanOptions): Promise<RunResult> {
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
      const hasHistory = await historyExists(this.client);
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

  private async apply(file: MigrationFile, sec: MigrationSection): Promise<StepReport> {
    const t0 = performance.now();
    const record = (): Promise<void> =>
      recordStep(this.client, file, sec.direction, Math.round(performance.now() - t0), this.appliedBy);
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
  const shown = firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine;
  const sqlState = e.code ? ` (SQLSTATE ${e.code})` : '';
  const lines = [
    `${file.fileName}: the ${sec.direction} section failed at line ${line}: ${e.message ?? String(err)}${sqlState}`,
    `  statement (line ${stmt.line}): ${shown}${stmt.sql.includes('\n') ? ' ...' : ''}`,
  ];
  if (e.detail) lines.push(`  detail: ${e.detail}`);
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  if (e.where) lines.push(`  context: ${e.where.split('\n')[0]}`);
  lines.push(
    sec.transaction
      ? '  rolled back: nothing of this file was applied or recorded; later files were not run.'
      : '  this file runs outside a transaction and was not recorded; ' +
          'an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it before retrying.',
  );
  return new MigrationError(lines.join('\n'), {
    file: file.fileName,
    line,
    ...(e.code ? { code: e.code } : {}),
    cause: err,
  });
}
