// Encrypted backups (issue 16): the streaming format detects any change, truncation or reordering; npm run backup
// encrypts with BACKUP_ENCRYPTION_KEY (key id in the manifest), verify and restore decrypt, a rotated key still
// restores older backups, and production refuses an unencrypted backup unless told otherwise.
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createTestDatabase } from '../helpers/db.js';
import { runScript as run } from '../helpers/scripts.js';
import { withClient } from '../../apps/backend/scripts/lib/database.js';
import { countRows, listBackups, manifestPath, type Manifest } from '../../apps/backend/src/database/backup/tools.js';
import {
  decryptStream,
  encryptStream,
  keyRing,
  parseKey,
  readKeyId,
} from '../../apps/backend/src/database/backup/encryption.js';

const KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('hex');
const CHUNK = 64; // small chunks: many boundaries to cut at
const TAG = 16;
const HEADER = 52;

const encrypt = (plain: Buffer, key = KEY) => buffer(Readable.from([plain]).pipe(encryptStream(parseKey(key), CHUNK)));
const decrypt = (sealed: Buffer, current = KEY, previous = '') =>
  buffer(Readable.from([sealed]).pipe(decryptStream(keyRing(current, previous))));
const fails = async (sealed: Buffer, key = KEY) =>
  decrypt(sealed, key).then(
    () => 'decrypted',
    (e: Error) => e.message,
  );

t.test('the format: round trips, and any damage is detected', async (t) => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]) {
    const plain = randomBytes(size);
    const sealed = await encrypt(plain);
    t.same(await decrypt(sealed), plain, `${size} bytes round trip`);
    t.equal(sealed.length, HEADER + size + Math.max(1, Math.ceil(size / CHUNK)) * TAG, `${size} bytes: no padding`);
  }
  const plain = Buffer.from('pg_dump custom archive: '.repeat(20)); // 480 bytes: 8 chunks
  const sealed = await encrypt(plain);
  t.not(sealed.indexOf('pg_dump custom archive'), 0, 'no plaintext in the file');
  t.equal(sealed.indexOf('pg_dump custom archive'), -1);
  t.not(
    (await encrypt(plain)).subarray(HEADER).toString('hex'),
    sealed.subarray(HEADER).toString('hex'),
    'a fresh key per file',
  );

  const AUTH = /failed authentication: it was modified, truncated or reordered, or the key is wrong/;
  const whole = HEADER + CHUNK + TAG;
  for (let cut = HEADER; cut < sealed.length; cut += 7)
    t.match(await fails(sealed.subarray(0, cut)), AUTH, `cut at byte ${cut}`);
  for (let chunks = 1; chunks < 8; chunks++)
    t.match(
      await fails(sealed.subarray(0, HEADER + chunks * (CHUNK + TAG))),
      AUTH,
      `cut after ${chunks} whole chunk(s)`,
    );
  const swapped = Buffer.concat([
    sealed.subarray(0, HEADER),
    sealed.subarray(whole, whole + CHUNK + TAG),
    sealed.subarray(HEADER, whole),
    sealed.subarray(whole + CHUNK + TAG),
  ]);
  t.match(await fails(swapped), AUTH, 'two chunks swapped');
  const dropped = Buffer.concat([sealed.subarray(0, HEADER), sealed.subarray(whole)]);
  t.match(await fails(dropped), AUTH, 'a chunk dropped');
  t.match(await fails(Buffer.concat([sealed, Buffer.from('x')])), AUTH, 'a byte appended after the last chunk');
  for (const at of [HEADER + 3, whole + 20, sealed.length - 1, 20 /* salt */, 50 /* chunk size */]) {
    const flipped = Buffer.from(sealed);
    flipped[at]! ^= 0x01;
    t.match(await fails(flipped), /failed authentication|encrypted with key/, `one bit flipped at byte ${at}`);
  }
  const otherId = Buffer.from(sealed);
  otherId[10]! ^= 0x01;
  t.match(await fails(otherId), /encrypted with key [0-9a-f]{16}, which is neither/, 'an unknown key id is named');
  t.match(await fails(sealed, NEW_KEY), /encrypted with key .* neither BACKUP_ENCRYPTION_KEY/, 'the wrong key');
  t.same(await decrypt(sealed, NEW_KEY, `${NEW_KEY},${KEY}`), plain, 'an older key in BACKUP_PREVIOUS_KEYS decrypts');
  t.match(await fails(Buffer.from('PGDMP plain dump')), /failed authentication|not an encrypted/, 'not encrypted');
  t.throws(() => parseKey('too-short'), /32 bytes/);
});

t.test('npm run backup encrypts; verify and restore decrypt; rotation; damage refused', async (t) => {
  const db = await createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-enc-backups-'));
  t.teardown(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = { DATABASE_URL: db.url, BACKUP_DIR: dir, BACKUP_ENCRYPTION_KEY: KEY };

  const backup = await run('backup.ts', [], env);
  t.equal(backup.code, 0, 'exits 0', { output: backup.out });
  t.match(backup.out, /encrypted with key [0-9a-f]{16}/);
  t.notMatch(backup.out, KEY, 'never the key');
  const [made] = listBackups(dir);
  t.match(path.basename(made!.file), /\.dump\.enc$/);
  const bytes = fs.readFileSync(made!.file);
  t.equal(bytes.indexOf('PGDMP'), -1, 'no pg_dump header in the file');
  t.equal(bytes.indexOf('schema_migrations'), -1, 'no table name either: the dump never reached the disk in clear');
  t.equal((fs.statSync(made!.file).mode & 0o777).toString(8), '600');
  const manifest = JSON.parse(fs.readFileSync(manifestPath(made!.file), 'utf8')) as Manifest;
  t.same(manifest.encryption, {
    algorithm: 'aes-256-gcm-chunked-v1',
    key_id: parseKey(KEY).id,
    chunk_bytes: 1 << 20,
  });
  t.equal(readKeyId(made!.file), manifest.encryption!.key_id, 'the file names its key too');
  t.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'), 'the checksum is of the encrypted file');

  const verify = await run('backup-verify.ts', [], env);
  t.equal(verify.code, 0, 'verify decrypts', { output: verify.out });
  t.match(verify.out, /backup:verify OK/);

  const target = await createTestDatabase({ template: false });
  t.teardown(target.drop);
  const noKey = await run('restore.ts', [made!.file, '--target', target.url], { ...env, BACKUP_ENCRYPTION_KEY: '' });
  t.equal(noKey.code, 1);
  t.match(noKey.out, new RegExp(`encrypted with key ${manifest.encryption!.key_id}`), 'the missing key is named');

  // Rotation: a new current key, the old one kept among the previous keys, still restores the old backup.
  const rotated = { ...env, BACKUP_ENCRYPTION_KEY: NEW_KEY, BACKUP_PREVIOUS_KEYS: KEY };
  const restored = await run('restore.ts', [made!.file, '--target', target.url], rotated);
  t.equal(restored.code, 0, 'restores after a rotation', { output: restored.out });
  t.match(restored.out, /decrypting as it is restored/);
  t.same(await withClient(target.url, (c) => countRows(c)), manifest.tables, 'same rows after restore');

  // A truncated copy (with a checksum matching it, so only authentication can tell): refused, nothing restored.
  const cut = path.join(dir, path.basename(made!.file).replace('.dump.enc', '-cut.dump.enc'));
  const truncated = bytes.subarray(0, bytes.length - 100);
  fs.writeFileSync(cut, truncated);
  fs.writeFileSync(`${cut}.sha256`, `${createHash('sha256').update(truncated).digest('hex')}  ${path.basename(cut)}\n`);
  const empty = await createTestDatabase({ template: false });
  t.teardown(empty.drop);
  const damaged = await run('restore.ts', [cut, '--target', empty.url], env);
  t.equal(damaged.code, 1);
  t.match(damaged.out, /failed authentication/, 'the decryption failure is the reported cause');
  t.same(await withClient(empty.url, (c) => countRows(c)), {}, 'the target is left empty');
});

t.test('production: no unencrypted backup unless BACKUP_ALLOW_PLAINTEXT=true', async (t) => {
  const db = await createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-plain-backups-'));
  t.teardown(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = { NODE_ENV: 'production', DATABASE_URL: db.url, BACKUP_DIR: dir };
  const refused = await run('backup.ts', [], env);
  t.equal(refused.code, 1);
  t.match(refused.out, /refusing to write an unencrypted backup in production: set BACKUP_ENCRYPTION_KEY/);
  t.same(listBackups(dir), [], 'nothing written');
  const bad = await run('backup.ts', [], { ...env, BACKUP_ENCRYPTION_KEY: 'not-a-key' });
  t.equal(bad.code, 1);
  t.match(bad.out, /BACKUP_ENCRYPTION_KEY must be in its format/);
  t.notMatch(bad.out, /not-a-key/, 'the bad value is not echoed');
  const allowed = await run('backup.ts', [], { ...env, BACKUP_ALLOW_PLAINTEXT: 'true' });
  t.equal(allowed.code, 0, 'exits 0', { output: allowed.out });
  t.match(allowed.out, /NOT encrypted/);
  const [plain] = listBackups(dir);
  t.match(path.basename(plain!.file), /\.dump$/);
  t.equal(JSON.parse(fs.readFileSync(manifestPath(plain!.file), 'utf8')).encryption, null);
});
