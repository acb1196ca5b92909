// `npm run privacy:retention [-- --dry-run] [--batch-size N]`: anonymises everyone whose retention has ended
// (archived longer than the longest retention among the purposes her data served; docs/privacy.md), in batches,
// each anonymisation in the audit trail; people with an open data-subject request are held. --dry-run lists who
// would be anonymised and why, and changes nothing. Lines name ids and codes, never a person.
// The monthly schedule calls the same service function (app.privacy.runRetention).
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadSettings } from '../src/config.js';
import { createDb } from '../src/platform/db.js';
import { loadClassification } from '../src/platform/sensitive-data.js';
import { createPrivacyRepository, createPrivacyService } from '../src/modules/privacy/index.js';
import { loadDotEnv, ScriptError, withDatabase } from './lib/database.js';

const USAGE = 'usage: npm run privacy:retention [-- --dry-run] [--batch-size N (1-10000, default 100)]';
const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  loadDotEnv();
  const { values } = parseArgs({
    options: {
      'dry-run': { type: 'boolean' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return log(USAGE);
  const batchSize = Number(values['batch-size'] ?? 100);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new ScriptError(`--batch-size must be an integer from 1 to 10000\n${USAGE}`);
  const { ORG_TIMEZONE } = loadSettings(['ORG_TIMEZONE']);
  const dryRun = values['dry-run'] ?? false;
  await withDatabase(log, async (url) => {
    const db = createDb({
      connectionString: url,
      max: 1,
      statementTimeoutMs: 600_000,
      idleTimeoutMs: 10_000,
      connectTimeoutMs: 10_000,
      applicationName: 'acolhe-retention',
      slowQueryMs: 60_000,
      log: pino({ level: 'warn' }),
    });
    try {
      const classification = await loadClassification(db);
      const service = createPrivacyService({
        db,
        repo: createPrivacyRepository(db, classification),
        classification,
        timezone: ORG_TIMEZONE,
      });
      log(`retention${dryRun ? ' (dry run: nothing is changed)' : ''}: batches of ${batchSize}`);
      await service.runRetention({ dryRun, batchSize, log });
    } finally {
      await db.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const known = err instanceof ScriptError || err instanceof ConfigError;
    process.stderr.write(
      `privacy:retention failed: ${known ? (err as Error).message : ((err as Error).stack ?? err)}\n`,
    );
    process.exit(1);
  },
);
