// Restoring a custom-format dump: checksum first, never over a non-empty database unless asked,
// one transaction (a failed restore leaves nothing half-done), then the migration status. An encrypted dump
// (.dump.enc) is decrypted as pg_restore reads it, with the key its header names (scripts/lib/encryption.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readStatus, type MigrationStatus } from '../../src/database/migrator.js';
import { withClient, ScriptError } from './database.js';
import { assertToolNotOlder, isEmptyDatabase, pgTool, runTool, serverVersion, verifyChecksum } from './backup.js';
import { decryptStream, keyFor, readKeyId, type KeyRing } from './encryption.js';

export interface RestoreOptions {
  file: string;
  target: string;
  /** Drop the target's objects that the dump contains before recreating them. */
  clean?: boolean;
  /** Skip ownership and GRANTs (restoring into a cluster without the original roles, or a scratch check). */
  noOwner?: boolean;
  /** The keys an encrypted dump may need (BACKUP_ENCRYPTION_KEY, BACKUP_PREVIOUS_KEYS). */
  keys: KeyRing;
  log: (line: string) => void;
}

/** What pg_restore reads: the file itself, or (encrypted) its decryption on standard input. */
function archiveInput(file: string, keys: KeyRing) {
  const keyId = readKeyId(file);
  if (!keyId) return { file, stdin: undefined };
  keyFor(keyId, keys); // a missing key is named before anything is touched
  return { file: null, stdin: () => [fs.createReadStream(file), decryptStream(keys)] };
}

export async function restoreBackup(o: RestoreOptions): Promise<MigrationStatus> {
  o.log(`checking SHA-256 of ${path.basename(o.file)}`);
  await verifyChecksum(o.file);
  const input = archiveInput(o.file, o.keys);
  if (input.stdin) o.log('decrypting as it is restored');
  const tool = pgTool('pg_restore');
  const superuser = await withClient(o.target, async (c) => {
    assertToolNotOlder(tool, await serverVersion(c), 'pg_restore');
    if (!o.clean && !(await isEmptyDatabase(c))) {
      throw new ScriptError(
        'the target database is not empty: restore into a new database, or pass --clean to replace the objects the backup contains',
      );
    }
    return (
      (await c.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user')).rows[0]
        ?.su ?? false
    );
  });
  const args = [
    '--exit-on-error',
    '--single-transaction',
    '--verbose',
    '--dbname',
    new URL(o.target).pathname.slice(1) || 'postgres',
  ];
  if (o.clean) args.push('--clean', '--if-exists');
  if (o.noOwner) args.push('--no-owner', '--no-privileges');
  const list = superuser ? null : await listWithout(tool.bin, input, UNTRUSTED_OPTIONAL, o.log);
  if (list) args.push('--use-list', list);
  if (input.file) args.push(input.file);
  let tables = 0;
  const started = Date.now();
  await runTool(
    tool.bin,
    args,
    o.target,
    (line) => {
      if (/processing data for table/.test(line) && ++tables % 10 === 0) o.log(`  ${tables} tables restored`);
    },
    input.stdin ? { stdin: input.stdin() } : {},
  );
  if (list) fs.rmSync(path.dirname(list), { recursive: true, force: true });
  o.log(`restored ${tables} tables in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return withClient(o.target, (c) => readStatus({ query: (text, values) => c.query(text, values as unknown[]) }));
}

/** Optional extensions only a superuser may create: a non-superuser restore skips them instead of failing. */
const UNTRUSTED_OPTIONAL = ['pg_stat_statements'];

/** pg_restore --list of the archive (decrypted on the way when it is encrypted). */
async function tableOfContents(bin: string, input: ReturnType<typeof archiveInput>): Promise<string> {
  const child = spawn(bin, input.file ? ['--list', input.file] : ['--list'], {
    stdio: [input.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const fed = input.stdin ? pipeline([...input.stdin(), child.stdin!] as never) : Promise.resolve();
  const [code, feeding] = await Promise.all([
    exited,
    fed.then(
      () => null,
      (e: Error) => e,
    ),
  ]);
  if (feeding instanceof ScriptError) throw feeding;
  if (code !== 0) throw new ScriptError(`pg_restore --list failed: ${err.trim()}`);
  return out;
}

/** A pg_restore --use-list without the entries of those extensions, or null when the dump has none. */
async function listWithout(
  bin: string,
  input: ReturnType<typeof archiveInput>,
  extensions: string[],
  log: (line: string) => void,
): Promise<string | null> {
  const skip = (line: string) =>
    extensions.some((e) => new RegExp(`\\b(EXTENSION - ${e}|EXTENSION ${e})\\b`).test(line));
  const lines = (await tableOfContents(bin, input)).split('\n');
  if (!lines.some(skip)) return null;
  log(`skipping extension(s) ${extensions.join(', ')}: only a superuser can create them (the API works without)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-restore-'));
  const list = path.join(dir, 'restore.list');
  fs.writeFileSync(list, lines.filter((l) => !skip(l)).join('\n'));
  return list;
}
