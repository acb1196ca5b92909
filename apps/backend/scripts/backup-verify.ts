// `npm run backup:verify`: the monthly restore test, automatic. Restores the newest backup in BACKUP_DIR into
// a scratch database on the configured (or embedded) server, then checks: migrations clean and equal to the
// manifest, the exact row count of every table equal to the manifest, amcheck on every btree index. Drops
// the scratch database and exits non-zero on any difference.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { isUpToDate } from '../src/database/migrator.js';
import { loadDotEnv, ScriptError, withClient, withDatabase, withDatabaseName } from './lib/database.js';
import { backupSettings, countRows, listBackups, manifestPath, type Manifest } from './lib/backup.js';
import { restoreBackup } from './lib/restore.js';
import type { KeyRing } from './lib/encryption.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

export async function verifyBackup(
  url: string,
  dir: string,
  keys: KeyRing,
  say: (line: string) => void = log,
): Promise<string[]> {
  const newest = listBackups(dir).at(-1);
  if (!newest) throw new ScriptError(`no backups in ${dir}`);
  const manifestFile = manifestPath(newest.file);
  if (!fs.existsSync(manifestFile)) throw new ScriptError(`${manifestFile} is missing`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const scratch = `acolhe_verify_${randomBytes(4).toString('hex')}`; // generated: safe as an identifier
  const scratchUrl = withDatabaseName(url, scratch);
  const problems: string[] = [];
  say(`verifying ${path.basename(newest.file)} in scratch database ${scratch}`);
  await withClient(url, (c) => c.query(`CREATE DATABASE ${scratch} TEMPLATE template0`));
  try {
    // Ownership and GRANTs are not what this checks, and the scratch server may lack the roles.
    const status = await restoreBackup({ file: newest.file, target: scratchUrl, noOwner: true, keys, log: say });
    if (!isUpToDate(status)) {
      problems.push(
        `migrations not clean: ${status.pending.length} pending, ${status.drifted.length} drifted, ${status.missing.length} missing`,
      );
    }
    const restoredVersions = status.applied.map((a) => a.version);
    if (restoredVersions.join(',') !== manifest.migrations.join(','))
      problems.push('schema_migrations differs from the manifest');

    await withClient(scratchUrl, async (c) => {
      const counts = await countRows(c);
      for (const [table, n] of Object.entries(manifest.tables)) {
        if (!(table in counts)) problems.push(`table ${table} missing after restore`);
        else if (counts[table] !== n)
          problems.push(`table ${table}: ${counts[table]} rows restored, ${n} at backup time`);
      }
      for (const table of Object.keys(counts))
        if (!(table in manifest.tables)) problems.push(`table ${table} not in the manifest`);
      say(`row counts checked for ${Object.keys(manifest.tables).length} tables`);
      problems.push(...(await amcheck(c, say)));
    });
  } finally {
    await withClient(url, (c) => c.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`));
    say(`dropped ${scratch}`);
  }
  return problems;
}

/** bt_index_check (with heapallindexed) on every valid btree index; one line per corrupt index. */
async function amcheck(c: import('pg').Client, say: (line: string) => void): Promise<string[]> {
  await c.query('CREATE EXTENSION IF NOT EXISTS amcheck');
  const { rows } = await c.query<{ oid: number; name: string }>(
    `SELECT i.indexrelid::int AS oid, format('%I.%I', n.nspname, ic.relname) AS name
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_am am ON am.oid = ic.relam
      WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready AND ic.relpersistence <> 't'
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 2`,
  );
  const problems: string[] = [];
  for (const r of rows) {
    try {
      await c.query('SELECT bt_index_check(index => $1::oid, heapallindexed => true)', [r.oid]);
    } catch (err) {
      problems.push(`amcheck: index ${r.name}: ${(err as Error).message}`);
    }
  }
  say(`amcheck: ${rows.length} btree indexes checked`);
  return problems;
}

async function main(): Promise<number> {
  loadDotEnv();
  const { dir, keys } = backupSettings();
  const problems = await withDatabase(log, (url) => verifyBackup(url, dir, keys));
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
