// `npm run seed:staging -- --beneficiaries 100000 --seed 42`: realistic, deterministic synthetic data for
// staging (docs/runbooks/staging-data.md). Never in production, never on a PROTECTED_DATABASES target,
// unless --force.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { loadDotEnv, ScriptError, withDatabase } from './lib/database.js';
import { DEFAULT_BATCH_SIZE, generateStagingData, GENERATED_TABLES, type StagingReport } from './staging/generate.js';
import { createProgress } from './staging/progress.js';
import { StagingRefused } from './staging/protect.js';

const USAGE =
  'usage: npm run seed:staging -- [--beneficiaries N] [--seed N] [--as-of YYYY-MM-DD] [--batch-size N] [--force]';

export interface StagingArgs {
  beneficiaries: number;
  seed: number;
  asOf?: string;
  batchSize: number;
  force: boolean;
}

/** Parses the command line; throws ScriptError with one line naming the bad argument. */
export function parseStagingArgs(argv: string[]): StagingArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        beneficiaries: { type: 'string', default: '1000' },
        seed: { type: 'string', default: '1' },
        'as-of': { type: 'string' },
        'batch-size': { type: 'string', default: String(DEFAULT_BATCH_SIZE) },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ScriptError(`${(err as Error).message.split('\n')[0]}\n${USAGE}`);
  }
  if (values.help) throw new ScriptError(USAGE);
  const int = (name: string, raw: string, min: number, max: number) => {
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
      throw new ScriptError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    return Number(raw);
  };
  const asOf = values['as-of'];
  if (
    asOf !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) ||
      Number.isNaN(Date.parse(`${asOf}T00:00:00Z`)) ||
      new Date(`${asOf}T00:00:00Z`).toISOString().slice(0, 10) !== asOf)
  ) {
    throw new ScriptError(`--as-of must be a date YYYY-MM-DD (got ${JSON.stringify(asOf)})`);
  }
  return {
    beneficiaries: int('beneficiaries', values.beneficiaries, 1, 10_000_000),
    seed: int('seed', values.seed, 0, 2_147_483_647),
    ...(asOf ? { asOf } : {}),
    batchSize: int('batch-size', values['batch-size'], 1, 50_000),
    force: values.force,
  };
}

export function formatStagingReport(report: StagingReport): string[] {
  return GENERATED_TABLES.map(
    (t) =>
      `${t.padEnd(28)} inserted ${String(report[t]!.inserted).padStart(9)}  skipped ${String(report[t]!.skipped).padStart(9)}`,
  );
}

async function main(): Promise<number> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  try {
    loadDotEnv();
    const args = parseStagingArgs(process.argv.slice(2));
    // Refuse before anything starts (even the embedded server) when the environment says production.
    const config = loadConfig();
    if (config.NODE_ENV === 'production' && !args.force)
      throw new StagingRefused(
        'refusing to write staging data: NODE_ENV=production (pass --force if you really mean it)',
      );
    const progress = createProgress({
      label: 'beneficiaries',
      tty: Boolean(process.stdout.isTTY),
      write: (s) => process.stdout.write(s),
    });
    const started = Date.now();
    const report = await withDatabase(log, (url) =>
      generateStagingData({
        connectionString: url,
        config,
        ...args,
        log,
        progress: (d, t, r) => progress.update(d, t, r),
      }),
    );
    for (const line of formatStagingReport(report)) log(line);
    const inserted = Object.values(report).reduce((n, c) => n + c.inserted, 0);
    log(
      `done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${inserted} rows inserted${inserted === 0 ? ' (everything was already there)' : ''}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ScriptError || err instanceof StagingRefused || err instanceof ConfigError) {
      process.stderr.write(`seed:staging: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`seed:staging failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
