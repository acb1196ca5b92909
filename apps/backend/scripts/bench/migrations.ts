/**
 * Migration engine vs dbmate on the same chain (the file format is dbmate's).
 * Each run applies the full chain on its own empty database with each tool,
 * then a no-op `up` on that database; the medians and their ratio are printed.
 *
 * Ours runs in-process (as `npm start` and the test harness use it); dbmate
 * runs as its native binary, so its figure includes one process start, which
 * is printed separately (`dbmate --version`) to show how much that is.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadMigrations, migrateUp, MIGRATIONS_DIR, REPO_ROOT } from '../../src/database/migrator.js';
import { median } from './knobs.js';

const RUNS = Number(process.env.BENCH_MIGRATION_RUNS ?? 5);

export async function benchMigrations(ctx: { adminUrl: string; log: (line: string) => void }): Promise<void> {
  const dbmate = dbmateBinary();
  const files = await loadMigrations(MIGRATIONS_DIR);
  const admin = new pg.Client({ connectionString: ctx.adminUrl });
  await admin.connect();
  const created: string[] = [];
  // Scratch names are built here from a prefix and a counter, never from input.
  const scratch = async (label: string, i: number): Promise<string> => {
    const name = `bench_migrations_${label}_${process.pid}_${i}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    created.push(name);
    const url = new URL(ctx.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const t = {
    ours: [] as number[],
    dbmate: [] as number[],
    oursNoop: [] as number[],
    dbmateNoop: [] as number[],
    dbmateStart: [] as number[],
    oursCliNoop: [] as number[],
  };
  try {
    for (let i = 0; i < RUNS; i++) {
      const oursUrl = await scratch('ours', i);
      const dbmateUrl = await scratch('dbmate', i);
      // Alternate which tool goes first so neither always meets a warmer server.
      const order = i % 2 === 0 ? ['ours', 'dbmate'] : ['dbmate', 'ours'];
      for (const tool of order) {
        if (tool === 'ours') {
          t.ours.push(
            await time(async () => expectApplied(await migrateUp({ connectionString: oursUrl }), files.length)),
          );
          t.oursNoop.push(await time(async () => expectApplied(await migrateUp({ connectionString: oursUrl }), 0)));
        } else {
          t.dbmate.push(await time(() => run(dbmate, DBMATE_ARGS, dbmateEnv(dbmateUrl))));
          t.dbmateNoop.push(await time(() => run(dbmate, DBMATE_ARGS, dbmateEnv(dbmateUrl))));
        }
      }
      t.dbmateStart.push(await time(() => run(dbmate, ['--version'])));
      t.oursCliNoop.push(await time(() => run(TSX, [CLI, 'up'], { MIGRATION_DATABASE_URL: oursUrl })));
    }
  } finally {
    for (const name of created)
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
  const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<keyof typeof t, number>;
  ctx.log(`migrations: ${files.length} files, median of ${RUNS} runs, each on a fresh database`);
  ctx.log(
    `  full chain   ours ${m.ours.toFixed(1)} ms   dbmate ${m.dbmate.toFixed(1)} ms   ratio ours/dbmate ${(m.ours / m.dbmate).toFixed(2)}`,
  );
  ctx.log(
    `  no-op up     ours ${m.oursNoop.toFixed(1)} ms   dbmate ${m.dbmateNoop.toFixed(1)} ms   ratio ours/dbmate ${(m.oursNoop / m.dbmateNoop).toFixed(2)}`,
  );
  ctx.log(`  (dbmate process start alone: ${m.dbmateStart.toFixed(1)} ms; ours runs in-process)`);
  ctx.log(
    `  no-op \`npm run migrate\` as a process (tsx start included): ours ${m.oursCliNoop.toFixed(1)} ms   dbmate ${m.dbmateNoop.toFixed(1)} ms`,
  );
}

function expectApplied(r: { applied: string[] }, n: number): void {
  if (r.applied.length !== n) throw new Error(`benchmark: expected ${n} migrations applied, got ${r.applied.length}`);
}

// --no-dump-schema: dbmate would otherwise spawn pg_dump after every up, which ours does not do either.
const DBMATE_ARGS = ['--migrations-dir', MIGRATIONS_DIR, '--no-dump-schema', 'up'];

/** dbmate reads its URL from DATABASE_URL: the password stays off the command line (`ps`). */
function dbmateEnv(url: string): Record<string, string> {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'disable');
  return { DATABASE_URL: u.toString() };
}

function dbmateBinary(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`@dbmate/${process.platform}-${process.arch}/bin/dbmate`);
  } catch {
    throw new Error('dbmate is not installed: npm install (dbmate is a dev dependency of apps/backend)');
  }
}

async function time(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../migrate.ts');
const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');

function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${bin} ${args.at(-1)} exited with ${code}: ${err.trim()}`)),
    );
  });
}
