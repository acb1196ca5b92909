// A backup: pg_dump -Fc into the backup directory, named by UTC time, with a .sha256 beside it and a manifest
// holding the exact row count of every table, taken in the very snapshot pg_dump uses (an exported snapshot
// of a REPEATABLE READ transaction). With a key the dump is encrypted as pg_dump writes it (encryption.ts:
// `.dump.enc`, the key id in the manifest). One backup at a time (a PostgreSQL advisory lock); prunes backups
// older than the retention but never the newest. Run by `npm run backup` and by the backup job
// (docs/runbooks/backup-and-restore.md).
import fs from 'node:fs';
import path from 'node:path';
import { ScriptError, withClient } from '../client.js';
import { ALGORITHM, CHUNK_BYTES, encryptStream, type BackupKey } from './encryption.js';
import {
  assertToolNotOlder,
  backupFileName,
  countRows,
  humanBytes,
  listBackups,
  manifestPath,
  pgTool,
  runTool,
  serverVersion,
  sha256File,
  type Manifest,
} from './tools.js';

/**
 * Any constant distinct from the migration lock: two backups of one database never run at once
 * (advisory locks are per database).
 */
export const BACKUP_LOCK_KEY = '7130525948213806433';

export async function backup(
  url: string,
  o: {
    dir: string;
    retentionDays: number;
    /** Encrypts the dump (null: plaintext; see writeKey in tools.ts). */
    key: BackupKey | null;
    log: (line: string) => void;
    signal?: AbortSignal;
  },
): Promise<Manifest & { path: string; pruned: string[] }> {
  const tool = pgTool('pg_dump');
  return withClient(
    url,
    async (c) => {
      const server = await serverVersion(c);
      assertToolNotOlder(tool, server, 'pg_dump');
      const { rows: lock } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
        BACKUP_LOCK_KEY,
      ]);
      if (!lock[0]!.ok)
        throw new ScriptError(
          'another backup of this database is running (advisory lock held); try again when it has finished',
        );

      fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
      const database = (await c.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      const at = new Date();
      const file = path.join(o.dir, backupFileName(database, at, o.key !== null));
      const partial = `${file}.partial`;

      // The snapshot stays open until pg_dump has finished: the counts and the dump see the same data.
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snapshot = (await c.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
      o.log(`counting rows in snapshot ${snapshot}`);
      const tables = await countRows(c);
      const hasHistory = (
        await c.query<{ ok: boolean }>("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS ok")
      ).rows[0]!.ok;
      const migrations = hasHistory
        ? (
            await c.query<{ version: string }>('SELECT version FROM public.schema_migrations ORDER BY version')
          ).rows.map((r) => r.version)
        : [];
      const total = Object.keys(tables).length;
      o.log(
        `dumping ${database} (PostgreSQL ${server.text}, ${total} tables, ${Object.values(tables).reduce((a, b) => a + b, 0)} rows) with pg_dump ${tool.version}`,
      );

      let done = 0;
      const ticker = setInterval(() => {
        const size = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
        o.log(`  … ${done}/${total} tables, ${humanBytes(size)} written`);
      }, 5_000);
      try {
        const progress = (line: string) => {
          const m = /dumping contents of table "?([^"]+)"?/.exec(line);
          if (m) o.log(`  [${++done}/${total}] ${m[1]}`);
        };
        const args = ['--format=custom', `--snapshot=${snapshot}`, '--verbose'];
        // Encrypted: pg_dump writes to a pipe and only ciphertext reaches the disk.
        if (o.key)
          await runTool(tool.bin, args, url, progress, {
            stdout: [encryptStream(o.key), fs.createWriteStream(partial, { mode: 0o600 })],
            signal: o.signal,
          });
        else await runTool(tool.bin, [...args, '--file', partial], url, progress, { signal: o.signal });
      } catch (err) {
        fs.rmSync(partial, { force: true });
        throw err;
      } finally {
        clearInterval(ticker);
        await c.query('COMMIT').catch(() => {});
      }

      fs.renameSync(partial, file);
      fs.chmodSync(file, 0o600); // people's records: owner-only, like the directory
      const sha256 = await sha256File(file);
      fs.writeFileSync(`${file}.sha256`, `${sha256}  ${path.basename(file)}\n`, { mode: 0o600 });
      const manifest: Manifest = {
        file: path.basename(file),
        database,
        created_at: at.toISOString(),
        server_version: server.text,
        pg_dump_version: tool.version,
        sha256,
        size_bytes: fs.statSync(file).size,
        migrations,
        tables,
        encryption: o.key ? { algorithm: ALGORITHM, key_id: o.key.id, chunk_bytes: CHUNK_BYTES } : null,
      };
      fs.writeFileSync(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      o.log(
        `wrote ${file} (${humanBytes(manifest.size_bytes)}, sha256 ${sha256.slice(0, 16)}…, ${o.key ? `encrypted with key ${o.key.id}` : 'NOT encrypted'})`,
      );
      const pruned = prune(o.dir, database, o.retentionDays, o.log);
      await c.query('SELECT pg_advisory_unlock($1::bigint)', [BACKUP_LOCK_KEY]);
      return { ...manifest, path: file, pruned };
    },
    'acolhe-backup',
  );
}

/** Deletes this database's backups older than the retention, always keeping the newest. */
export function prune(
  dir: string,
  database: string,
  retentionDays: number,
  say: (line: string) => void,
  now = Date.now(),
): string[] {
  const mine = listBackups(dir).filter((b) => b.database === database);
  const newest = mine.at(-1);
  const cutoff = now - retentionDays * 86_400_000;
  const removed: string[] = [];
  for (const b of mine) {
    if (b === newest || b.at.getTime() >= cutoff) continue;
    for (const f of [b.file, `${b.file}.sha256`, manifestPath(b.file)]) fs.rmSync(f, { force: true });
    removed.push(path.basename(b.file));
  }
  if (removed.length) say(`pruned ${removed.length} backup(s) older than ${retentionDays} days: ${removed.join(', ')}`);
  return removed;
}
