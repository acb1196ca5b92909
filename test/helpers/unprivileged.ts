// Server processes a test starts itself (PgBouncer, a streaming replica) refuse to run as root: as root they run
// as the `postgres` user the embedded PostgreSQL already runs as, in a directory that user owns.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `{ uid, gid }` of the postgres user when we are root (spawn options), else nothing. */
export function unprivileged(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('no postgres user to run test servers as');
  return { uid, gid };
}

/** A fresh private directory (0700) in the OS temp dir, owned by whoever the servers run as. */
export function privateDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o700);
  const { uid, gid } = unprivileged();
  if (uid !== undefined) fs.chownSync(dir, uid, gid!);
  return dir;
}

/** Writes an owner-only file the servers can read. */
export function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  const { uid, gid } = unprivileged();
  if (uid !== undefined) fs.chownSync(file, uid, gid!);
}
