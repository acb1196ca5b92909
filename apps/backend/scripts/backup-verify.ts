// `npm run backup:verify`: the restore test, by hand (the restore-test job runs it monthly). Restores the newest
// backup in BACKUP_DIR into a scratch database on the configured (or embedded) server, checks it
// (src/database/backup/verify.ts), drops it, and exits non-zero on any difference.
import { pathToFileURL } from 'node:url';
import { loadDotEnv, ScriptError, withDatabase } from './lib/database.js';
import { backupSettings } from '../src/database/backup/tools.js';
import { verifyBackup } from '../src/database/backup/verify.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  loadDotEnv();
  const { dir, keys } = backupSettings();
  const { problems } = await withDatabase(log, (url) => verifyBackup(url, dir, keys, log));
  if (problems.length) {
    for (const p of problems) process.stderr.write(`DIFFERENCE: ${p}\n`);
    process.stderr.write(`backup:verify FAILED (${problems.length} difference(s))\n`);
    return 1;
  }
  log('backup:verify OK: restored, migrations clean, row counts equal, indexes intact');
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(
        `backup:verify failed: ${err instanceof ScriptError ? err.message : (err.stack ?? err.message)}\n`,
      );
      process.exit(1);
    },
  );
}
