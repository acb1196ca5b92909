// `npm run seed [-- --with-samples]`: idempotent initial data (permissions, roles, first admin, catalogues;
// sample projects and workshops in development or when asked). Prints per table what it did.
import { ConfigError, loadConfig } from '../src/config.js';
import { formatReport, runInitialSeed } from '../src/database/seed/initial-data.js';
import { loadDotEnv, ScriptError, withDatabase } from './lib/database.js';

const USAGE = 'usage: npm run seed [-- --with-samples]';

async function main() {
  loadDotEnv();
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--with-samples');
  if (unknown.length) throw new ScriptError(`unknown argument ${unknown[0]}\n${USAGE}`);
  const config = loadConfig();
  const withSamples = args.includes('--with-samples') || config.NODE_ENV === 'development';
  if (withSamples && config.NODE_ENV === 'production')
    throw new ScriptError('sample data is never created in production');
  const started = performance.now();
  const report = await withDatabase(console.log, (url) =>
    runInitialSeed({ connectionString: url, config, log: console.log, withSamples }),
  );
  for (const line of formatReport(report)) console.log(line);
  const changed = Object.values(report).reduce((n, c) => n + c.inserted + c.updated, 0);
  console.log(
    `seed done in ${Math.round(performance.now() - started)} ms: ${changed ? `${changed} row(s) inserted or updated` : 'nothing to change'}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const known =
      err instanceof ScriptError ||
      err instanceof ConfigError ||
      (err instanceof Error && /SEED_ADMIN|required|never created/.test(err.message));
    console.error(known ? (err as Error).message : err);
    process.exit(1);
  },
);
