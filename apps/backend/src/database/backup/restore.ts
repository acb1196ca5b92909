// Restoring a custom-format dump: checksum first, never over a non-empty database unless asked,
// one transaction (a failed restore leaves nothing half-done), then the migration status. An encrypted dump
// (.dump.enc) is decrypted as pg_restore reads it, with the key its header names (encryption.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readStatus, type MigrationStatus } from '../migrator.js';
import { withClient, ScriptError } from '../client.js';
import { assertToolNotOlder, isEmptyDatabase, pgTool, runTool, serverVersion, verifyChecksum } from './tools.js';
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
  /** Aborting ends pg_restore (a job asked to stop). */
  signal?: AbortSignal;
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
  const list =
    superuser && !o.clean
      ? null
      : await restoreList(
          tool.bin,
          input,
          { skipExtensions: superuser ? [] : UNTRUSTED_OPTIONAL, clean: !!o.clean },
          o.log,
        );
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
    { ...(input.stdin ? { stdin: input.stdin() } : {}), signal: o.signal },
  );
  if (list) fs.rmSync(path.dirname(list), { recursive: true, force: true });
  o.log(`restored ${tables} tables in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return withClient(o.target, (c) => readStatus({ query: (text, values) => c.query(text, values as unknown[]) }));
}

/** Optional extensions only a superuser may create: a non-superuser restore skips them instead of failing. */
const UNTRUSTED_OPTIONAL = ['pg_stat_statements', 'amcheck'];

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

/**
 * The pg_restore --use-list, or null when the archive as it is will do:
 * - without the optional extensions a non-superuser cannot create;
 * - with --clean, the key constraints of partitions (the job queue's) placed before the others: pg_restore drops
 *   in the reverse order of the list, and a partition's key attached to its parent's goes only with the parent's
 *   (PostgreSQL refuses to drop it alone: "cannot drop inherited constraint").
 */
async function restoreList(
  bin: string,
  input: ReturnType<typeof archiveInput>,
  o: { skipExtensions: string[]; clean: boolean },
  log: (line: string) => void,
): Promise<string | null> {
  const skip = (line: string) =>
    o.skipExtensions.some((e) => new RegExp(`\\b(EXTENSION - ${e}|EXTENSION ${e})\\b`).test(line));
  let lines = (await tableOfContents(bin, input)).split('\n');
  const skipped = o.skipExtensions.filter((e) => lines.some((l) => skip(l) && l.includes(e)));
  if (skipped.length) {
    log(`skipping extension(s) ${skipped.join(', ')}: only a superuser can create them (the API works without)`);
    lines = lines.filter((l) => !skip(l));
  }
  // "<id>; <oid> <oid> TABLE ATTACH <schema> <name> <owner>": the partitions.
  const partitions = new Set(lines.flatMap((l) => /^\d+; \d+ \d+ TABLE ATTACH (\S+ \S+) /.exec(l)?.[1] ?? []));
  const isPartitionKey = (l: string) => {
    const m = /^\d+; \d+ \d+ CONSTRAINT (\S+) (\S+) /.exec(l);
    return !!m && partitions.has(`${m[1]} ${m[2]}`);
  };
  const reorder = o.clean && lines.some(isPartitionKey);
  if (reorder) {
    const keys = lines.filter(isPartitionKey);
    const rest = lines.filter((l) => !isPartitionKey(l));
    const firstConstraint = rest.findIndex((l) => /^\d+; \d+ \d+ CONSTRAINT /.test(l));
    lines = [...rest.slice(0, firstConstraint), ...keys, ...rest.slice(firstConstraint)];
  }
  if (!skipped.length && !reorder) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-restore-'));
  const list = path.join(dir, 'restore.list');
  fs.writeFileSync(list, lines.join('\n'));
  return list;
}
