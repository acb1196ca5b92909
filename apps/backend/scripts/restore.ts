// `npm run restore -- <file> --target <database-url> [--clean] [--no-owner]`: checks the SHA-256, refuses a
// non-empty target unless --clean, decrypts an encrypted backup as it goes (BACKUP_ENCRYPTION_KEY or one of
// BACKUP_PREVIOUS_KEYS), restores in one transaction, then reports the migration status. The
// password belongs in PGPASSWORD or ~/.pgpass (libpq and node-postgres read both), not in the --target URL.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isUpToDate } from '../src/database/migrator.js';
import { describeDatabaseUrl } from '../src/platform/db.js';
import { loadDotEnv, ScriptError } from './lib/database.js';
import { backupSettings } from '../src/database/backup/tools.js';
import { restoreBackup } from '../src/database/backup/restore.js';

const USAGE = `Usage: npm run restore -- <backup.dump> --target <postgres://…/database> [--clean] [--no-owner]
  --clean      drop the objects the backup contains before recreating them (restore over a non-empty database)
  --no-owner   do not restore ownership and GRANTs (target cluster without the original roles)`;

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  loadDotEnv();
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      clean: { type: 'boolean' },
      'no-owner': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return (log(USAGE), 0);
  const file = positionals[0];
  if (!file || !values.target || positionals.length > 1) throw new ScriptError(USAGE);
  if (!/^postgres(ql)?:\/\//.test(values.target)) throw new ScriptError('--target must be a postgres:// URL');
  if (new URL(values.target).password)
    log(
      'warning: a password in --target is visible to every user of this machine (ps); give the URL without it and the password in PGPASSWORD or ~/.pgpass',
    );
  log(`restoring ${path.basename(file)} into ${describeDatabaseUrl(values.target)}`);
  const status = await restoreBackup({
    file: path.resolve(file),
    target: values.target,
    clean: values.clean,
    noOwner: values['no-owner'],
    keys: backupSettings().keys,
    log,
  });
  if (status.drifted.length || status.missing.length) {
    log(
      `migration status: ${status.drifted.length} drifted (${status.drifted.join(', ')}), ${status.missing.length} missing (${status.missing.join(', ')}): this code does not match the restored schema`,
    );
    return 2;
  }
  if (!isUpToDate(status)) {
    log(
      `restored; ${status.pending.length} migration(s) pending (${status.pending.join(', ')}): run npm run migrate against the target before serving`,
    );
    return 0;
  }
  log(`restored; migrations up to date (${status.applied.length} applied)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`restore failed: ${err instanceof ScriptError ? err.message : (err.stack ?? err.message)}\n`);
    process.exit(1);
  },
);
