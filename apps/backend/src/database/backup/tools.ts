// Shared pieces of backup, restore and backup:verify: settings, the PostgreSQL client tools and their
// versions, exact row counts, checksums, the manifest and the list of backups in BACKUP_DIR.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { ConfigError, loadSettings, REPO_ROOT } from '../../config.js';
import { libpqEnv, pgToolPath } from '../pg-tools.js';
import { ScriptError } from '../client.js';
import { keyRing, type BackupKey, type KeyRing } from './encryption.js';

export interface BackupSettings {
  dir: string;
  retentionDays: number;
  /** BACKUP_ENCRYPTION_KEY (writes) and BACKUP_PREVIOUS_KEYS (reads of older backups). */
  keys: KeyRing;
  /** A backup without a key is refused in production unless BACKUP_ALLOW_PLAINTEXT=true. */
  plaintextRefused: boolean;
}

/** The backup variables, validated by the config schema (without requiring the server's variables). */
export function backupSettings(env: NodeJS.ProcessEnv = process.env): BackupSettings {
  let s;
  try {
    s = loadSettings(
      [
        'NODE_ENV',
        'BACKUP_DIR',
        'BACKUP_RETENTION_DAYS',
        'BACKUP_ENCRYPTION_KEY',
        'BACKUP_PREVIOUS_KEYS',
        'BACKUP_ALLOW_PLAINTEXT',
      ],
      env,
    );
  } catch (err) {
    throw err instanceof ConfigError ? new ScriptError(err.message) : err;
  }
  return {
    dir: path.resolve(REPO_ROOT, s.BACKUP_DIR),
    retentionDays: s.BACKUP_RETENTION_DAYS,
    keys: keyRing(s.BACKUP_ENCRYPTION_KEY, s.BACKUP_PREVIOUS_KEYS),
    plaintextRefused: s.NODE_ENV === 'production' && !s.BACKUP_ALLOW_PLAINTEXT,
  };
}

/**
 * The key a new backup is written with (BACKUP_ENCRYPTION_KEY), or null for a plaintext one: refused in production
 * unless BACKUP_ALLOW_PLAINTEXT=true, warned about elsewhere. The one rule for `npm run backup` and the backup job.
 */
export function writeKey(s: Pick<BackupSettings, 'keys' | 'plaintextRefused'>, log: (line: string) => void) {
  const key: BackupKey | null = s.keys.current;
  if (!key && s.plaintextRefused)
    throw new ScriptError(
      'refusing to write an unencrypted backup in production: set BACKUP_ENCRYPTION_KEY (docs/runbooks/backup-and-restore.md), or BACKUP_ALLOW_PLAINTEXT=true to accept one',
    );
  if (!key) log('warning: BACKUP_ENCRYPTION_KEY is not set: this backup is not encrypted');
  return key;
}

/** pg_dump / pg_restore (PG_BIN_DIR or the PATH: src/database/pg-tools.ts) and its version. */
export function pgTool(name: 'pg_dump' | 'pg_restore'): { bin: string; version: string; major: number } {
  const bin = pgToolPath(name);
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const m = /(\d+)(?:\.(\d+))?/.exec(res.stdout ?? '');
  if (res.status !== 0 || !m)
    throw new ScriptError(
      `${name} not found (looked for ${bin}); install the PostgreSQL client tools or set PG_BIN_DIR`,
    );
  return { bin, version: m[0], major: Number(m[1]) };
}

export async function serverVersion(c: pg.Client): Promise<{ num: number; major: number; text: string }> {
  const { rows } = await c.query<{ num: string; text: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text",
  );
  const num = Number(rows[0]!.num);
  return { num, major: Math.floor(num / 10_000), text: rows[0]!.text };
}

/** A client tool older than the server cannot read its catalogues correctly: refuse before starting. */
export function assertToolNotOlder(
  tool: { bin: string; version: string; major: number },
  server: { major: number; text: string },
  name: string,
): void {
  if (tool.major < server.major) {
    throw new ScriptError(
      `${name} ${tool.version} (${tool.bin}) is older than the server (PostgreSQL ${server.text}): install the PostgreSQL ${server.major} client tools and point PG_BIN_DIR at them`,
    );
  }
}

/** Every ordinary table outside the system schemas, quoted by PostgreSQL itself (the catalogue is the whitelist). */
export async function listTables(c: pg.ClientBase): Promise<string[]> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** Exact row counts of every table (run inside the backup's snapshot so they match the dump). */
export async function countRows(c: pg.ClientBase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await listTables(c)) {
    const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks `<file>.sha256` (sha256sum format); throws when missing or different. */
export async function verifyChecksum(file: string): Promise<string> {
  const sumFile = `${file}.sha256`;
  if (!fs.existsSync(file)) throw new ScriptError(`${file} does not exist`);
  if (!fs.existsSync(sumFile))
    throw new ScriptError(`${sumFile} is missing: refusing to restore an unverifiable backup`);
  const expected = fs.readFileSync(sumFile, 'utf8').trim().split(/\s+/)[0]?.toLowerCase();
  const actual = await sha256File(file);
  if (expected !== actual)
    throw new ScriptError(
      `SHA-256 mismatch for ${path.basename(file)}: expected ${expected}, got ${actual}; the file is damaged`,
    );
  return actual;
}

export interface Manifest {
  file: string;
  database: string;
  created_at: string;
  server_version: string;
  pg_dump_version: string;
  sha256: string;
  size_bytes: number;
  /** Versions in schema_migrations at backup time. */
  migrations: string[];
  /** Exact row count of every table, taken in the dump's snapshot. */
  tables: Record<string, number>;
  /** How the file is encrypted (src/database/backup/encryption.ts), or null for a plaintext dump. */
  encryption: { algorithm: string; key_id: string; chunk_bytes: number } | null;
}

export const manifestPath = (dumpFile: string) => dumpFile.replace(/\.dump(\.enc)?$/, '.manifest.json');

const BACKUP_NAME = /^(.+)-(\d{8}T\d{6}Z)\.dump(\.enc)?$/;

/** `<database>-YYYYMMDDTHHMMSSZ.dump` (UTC; `.dump.enc` when encrypted): names sort by time. */
export function backupFileName(database: string, at: Date, encrypted = false): string {
  return `${database}-${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}.dump${encrypted ? '.enc' : ''}`;
}

export function listBackups(dir: string): { file: string; database: string; at: Date }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .flatMap((name) => {
      const m = BACKUP_NAME.exec(name);
      if (!m) return [];
      const t = m[2]!;
      const at = new Date(
        `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}Z`,
      );
      return [{ file: path.join(dir, name), database: m[1]!, at }];
    })
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** Streams a tool's standard input comes from (e.g. the file, then its decryption) or its output goes through. */
export interface ToolIo {
  stdin?: (NodeJS.ReadableStream | NodeJS.ReadWriteStream)[];
  stdout?: (NodeJS.ReadWriteStream | NodeJS.WritableStream)[];
  /** Aborted (a job asked to stop): the tool is ended, and the promise rejects. */
  signal?: AbortSignal;
}

/**
 * Runs a client tool with the connection in libpq variables; streams its stderr lines to `onLine`, and its
 * stdin/stdout through `io` when given. A failure of those streams (a backup that fails decryption) is the cause
 * reported, before the tool's own complaint about its truncated input.
 */
export async function runTool(
  bin: string,
  args: string[],
  url: string,
  onLine: (line: string) => void,
  io: ToolIo = {},
): Promise<void> {
  const child = spawn(bin, args, {
    env: libpqEnv(url),
    stdio: [io.stdin ? 'pipe' : 'ignore', io.stdout ? 'pipe' : 'ignore', 'pipe'],
    signal: io.signal,
  });
  const flows: Promise<void>[] = [];
  if (io.stdin) flows.push(pipeline([...io.stdin, child.stdin!] as never));
  if (io.stdout) flows.push(pipeline([child.stdout!, ...io.stdout] as never));
  const exited = toolExit(child, bin, onLine);
  const [streams, tool] = await Promise.all([
    Promise.allSettled(flows),
    exited.then(
      () => null,
      (e: Error) => e,
    ),
  ]);
  const failed = streams.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  const cause = failed.find((e) => e instanceof ScriptError) ?? tool ?? failed[0];
  if (cause) throw cause;
}

function toolExit(child: ReturnType<typeof spawn>, bin: string, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const tail: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      buffer += d.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 20) tail.shift();
        onLine(l);
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new ScriptError(
              `${path.basename(bin)} exited with code ${code}:\n${tail
                .filter((l) => !/^\w+: (dumping|processing|creating|executing)/.test(l))
                .slice(-8)
                .join('\n')}`,
            ),
          ),
    );
  });
}

/** True when the database holds any relation or routine of its own (a fresh CREATE DATABASE holds none). */
export async function isEmptyDatabase(c: pg.ClientBase): Promise<boolean> {
  const { rows } = await c.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')
          + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')::int AS n`,
  );
  return Number(rows[0]!.n) === 0;
}
