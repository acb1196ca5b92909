// The restore test: restores the newest backup into a scratch database on the configured server, then
// checks: migrations clean and equal to the manifest, the exact row count of every table equal to the
// manifest, amcheck on every btree index. Run by `npm run backup:verify` and by the monthly restore-test job.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { isUpToDate } from '../migrator.js';
import { ScriptError, withClient, withDatabaseName } from '../client.js';
import { countRows, listBackups, manifestPath, type Manifest } from './tools.js';
import { restoreBackup } from './restore.js';
import type { KeyRing } from './encryption.js';

/**
 * Restores the newest backup in `dir` into a scratch database on the server of `url` (its role must be
 * allowed to CREATE DATABASE), checks it, drops it. Returns the differences found (none: the backup is good).
 */
export async function verifyBackup(
  url: string,
  dir: string,
  keys: KeyRing,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ file: string; problems: string[] }> {
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
    const status = await restoreBackup({
      file: newest.file,
      target: scratchUrl,
      noOwner: true,
      keys,
      log: say,
      signal,
    });
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
  return { file: path.basename(newest.file), problems };
}

/**
 * bt_index_check (with heapallindexed) on every valid btree index (not the parents of partitioned indexes: their
 * partitions' are checked); one line per corrupt index.
 */
async function amcheck(c: pg.Client, say: (line: string) => void): Promise<string[]> {
  await c.query('CREATE EXTENSION IF NOT EXISTS amcheck');
  const { rows } = await c.query<{ oid: number; name: string }>(
    `SELECT i.indexrelid::int AS oid, format('%I.%I', n.nspname, ic.relname) AS name
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_am am ON am.oid = ic.relam
      WHERE am.amname = 'btree' AND ic.relkind = 'i' AND i.indisvalid AND i.indisready AND ic.relpersistence <> 't'
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
