/**
 * Seeds benchmark, in one run on scratch databases of the given server:
 *  - the staging generator: 100,000 beneficiaries (BENCH_STAGING_BENEFICIARIES) with all their related rows,
 *    into the real tables with every constraint (FK, CHECK, UNIQUE, EXCLUDE) on; per batch, the audit and
 *    rule triggers are off and replaced by one audit_log row and a set-based pre-commit verification
 *    (scripts/staging/triggers.ts, verify.ts, audit.ts); its time includes the final ANALYZE;
 *  - a bare COPY of exactly the rows it produced (exported with COPY TO beforehand, so pre-built) into the
 *    same tables of a second database, restore-style (session_replication_role = replica: no triggers):
 *    the ceiling the generator is measured against (goal: ≥ 0.5 of its rows/s); and the same COPY into a
 *    third database with foreign keys checked (the generator's per-batch triggers off, the rest on), which
 *    is the same constraint work the generator does;
 *  - a no-op re-run of the initial seed (runInitialSeed), median of several.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../../src/config.js';
import { runInitialSeed } from '../../src/database/seed/initial-data.js';
import { withClient } from '../lib/database.js';
import { copyText } from '../staging/copy.js';
import { generateStagingData, GENERATED_TABLES } from '../staging/generate.js';
import { STAFF_EMAIL_PATTERN } from '../staging/sql.js';
import { triggersOff, triggersOn } from '../staging/triggers.js';
import { scratchDatabase } from './env.js';
import { median } from './knobs.js';

const BENEFICIARIES = Number(process.env.BENCH_STAGING_BENEFICIARIES ?? 100_000);
const SEED_RUNS = Number(process.env.BENCH_SEED_RUNS ?? 5);
// workshop_schedule is kept by a trigger in the generator's run; the bare load copies it as rows.
const TABLES = [...GENERATED_TABLES.slice(0, 3), 'workshop_schedule', ...GENERATED_TABLES.slice(3)] as const;

export async function benchSeeds(ctx: { adminUrl: string; log: (line: string) => void }): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'test',
    SEED_ADMIN_EMAIL: 'bench-admin@acolhe.test',
    SEED_ADMIN_PASSWORD: 'Bench-admin-password-2026!',
  });
  const created: { drop(): Promise<void> }[] = [];
  // Scratch names are built here from a prefix and the pid, never from input.
  const scratch = async (label: string): Promise<string> => {
    const db = await scratchDatabase(ctx, `bench_seeds_${label}_${process.pid}`, config);
    created.push(db);
    return db.url;
  };
  try {
    const genUrl = await scratch('generator');
    const copyUrl = await scratch('copy');
    const checkedUrl = await scratch('checked');

    const noop: number[] = [];
    for (let i = 0; i < SEED_RUNS; i++) {
      const t0 = performance.now();
      const report = await runInitialSeed({ connectionString: genUrl, config, log: () => {}, withSamples: false });
      noop.push(performance.now() - t0);
      const changes = Object.values(report).reduce((n, c) => n + c.inserted + c.updated, 0);
      if (changes) throw new Error(`benchmark: the initial seed re-run changed ${changes} rows`);
    }

    const t0 = performance.now();
    const report = await generateStagingData({
      connectionString: genUrl,
      config,
      beneficiaries: BENEFICIARIES,
      seed: 42,
      asOf: '2026-11-25',
      log: () => {},
    });
    const genMs = performance.now() - t0;
    const genRows = Object.values(report).reduce((n, c) => n + c.inserted, 0);

    // Pre-build: the generator's own rows, as COPY text, held in memory before the clock starts.
    const dumps: { table: string; text: string; rows: number }[] = [];
    await withClient(genUrl, async (c) => {
      for (const table of TABLES) {
        // Table names from the constant list above; the staff filter keeps the seeded admin out (it exists in both).
        const source =
          table === 'users'
            ? `(SELECT * FROM users WHERE email LIKE '${STAFF_EMAIL_PATTERN.replace(/'/g, "''")}' ORDER BY id)`
            : table;
        const text = await copyOut(c, `COPY ${source} TO STDOUT`);
        dumps.push({ table, text, rows: text ? text.split('\n').length - 1 : 0 });
      }
    });
    const copyRows = dumps.filter((d) => d.table !== 'workshop_schedule').reduce((n, d) => n + d.rows, 0);
    if (copyRows !== genRows)
      throw new Error(`benchmark: ${copyRows} rows exported but the generator reported ${genRows}`);

    // Two baselines, the same pre-built rows each time:
    //  - restore-style: session_replication_role = replica, so no trigger at all and no foreign-key check;
    //  - checked: foreign keys checked and the other triggers on, except those the generator switches off
    //    per batch (its rows obey them by construction); workshop_schedule is then derived by its trigger.
    const timedCopy = (url: string, replica: boolean) =>
      withClient(url, async (c) => {
        await c.query('SET synchronous_commit = off');
        const t1 = performance.now();
        await c.query('BEGIN');
        if (replica) await c.query('SET LOCAL session_replication_role = replica');
        else await triggersOff(c);
        for (const d of dumps)
          if (replica || d.table !== 'workshop_schedule') await copyText(c, `COPY ${d.table} FROM STDIN`, d.text);
        if (!replica) await triggersOn(c);
        await c.query('COMMIT');
        return performance.now() - t1;
      });
    const copyMs = await timedCopy(copyUrl, true);
    const checkedMs = await timedCopy(checkedUrl, false);

    const genRate = genRows / (genMs / 1000);
    const copyRate = copyRows / (copyMs / 1000);
    const checkedRate = copyRows / (checkedMs / 1000);
    ctx.log(`seeds: staging generator, ${BENEFICIARIES} beneficiaries (seed 42), vs a bare COPY of the same rows`);
    ctx.log(
      `  generator  ${genRows} rows in ${(genMs / 1000).toFixed(1)} s = ${Math.round(genRate)} rows/s (${Math.round(BENEFICIARIES / (genMs / 1000))} beneficiaries/s; constraints on, rule triggers verified per batch, audit one row per batch, ANALYZE included)`,
    );
    ctx.log(
      `  bare COPY  ${copyRows} rows in ${(copyMs / 1000).toFixed(1)} s = ${Math.round(copyRate)} rows/s (pre-built rows, triggers off like a restore)`,
    );
    ctx.log(
      `  COPY with foreign keys checked  ${copyRows} rows in ${(checkedMs / 1000).toFixed(1)} s = ${Math.round(checkedRate)} rows/s (the same triggers off as the generator's batches)`,
    );
    ctx.log(
      `  ratio generator/COPY ${(genRate / copyRate).toFixed(2)} against the restore-style COPY (goal ≥ 0.50); ${(genRate / checkedRate).toFixed(2)} against the checked COPY`,
    );
    ctx.log(`  rows per table: ${GENERATED_TABLES.map((t) => `${t} ${report[t]!.inserted}`).join(', ')}`);
    ctx.log(`  no-op re-run of the initial seed: median ${median(noop).toFixed(1)} ms over ${SEED_RUNS} runs`);
  } finally {
    for (const db of created) await db.drop().catch(() => undefined);
  }
}

async function copyOut(c: pg.Client, statement: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of c.query(copyTo(statement))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
