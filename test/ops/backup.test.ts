// npm run backup / restore / backup:verify as the operator runs them (child processes), on a test database.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../helpers/db.js';
import { withClient } from '../../apps/backend/scripts/lib/database.js';
import { runScript as run } from '../helpers/scripts.js';
import { BACKUP_LOCK_KEY, prune } from '../../apps/backend/src/database/backup/backup.js';
import { countRows, listBackups, manifestPath, type Manifest } from '../../apps/backend/src/database/backup/tools.js';

t.test('backup, verify, restore', async (t) => {
  const db = await createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-backups-'));
  t.teardown(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env = { DATABASE_URL: db.url, BACKUP_DIR: dir };

  const backup = await run('backup.ts', [], env);
  t.equal(backup.code, 0, 'exits 0', { output: backup.out });
  t.match(backup.out, /\[\d+\/\d+\] public\.users/, 'progress per table');
  t.match(backup.out, /wrote .*\.dump \([\d.]+ (B|KiB|MiB)/, 'final size');
  t.notMatch(backup.out, new URL(db.url).password, 'never the password');
  const [made] = listBackups(dir);
  t.ok(made, 'named <database>-<UTC time>.dump');
  t.match(path.basename(made!.file), new RegExp(`^${db.name}-\\d{8}T\\d{6}Z\\.dump$`));
  t.equal((fs.statSync(made!.file).mode & 0o777).toString(8), '600', 'owner-only');
  t.match(fs.readFileSync(`${made!.file}.sha256`, 'utf8'), /^[0-9a-f]{64} {2}\S+\.dump\n$/);
  const manifest = JSON.parse(fs.readFileSync(manifestPath(made!.file), 'utf8')) as Manifest;
  t.same(manifest.tables, await withClient(db.url, (c) => countRows(c)), 'manifest holds the exact row counts');
  t.ok(manifest.tables['public.users']! >= 1);
  t.ok(manifest.migrations.length > 0);

  const verify = await run('backup-verify.ts', [], env);
  t.equal(verify.code, 0, 'exits 0', { output: verify.out });
  t.match(verify.out, /amcheck: \d+ btree indexes checked/);
  t.match(verify.out, /backup:verify OK/);
  const leftovers = await withClient(db.adminUrl, (c) =>
    c.query("SELECT 1 FROM pg_database WHERE datname LIKE 'acolhe_verify_%'"),
  );
  t.equal(leftovers.rowCount, 0, 'the scratch database is dropped');

  // A manifest that disagrees with the dump is a failed verification.
  const original = fs.readFileSync(manifestPath(made!.file), 'utf8');
  fs.writeFileSync(
    manifestPath(made!.file),
    JSON.stringify({ ...manifest, tables: { ...manifest.tables, 'public.users': 999 } }),
  );
  const bad = await run('backup-verify.ts', [], env);
  t.equal(bad.code, 1);
  t.match(bad.out, /DIFFERENCE: table public\.users: \d+ rows restored, 999 at backup time/);
  fs.writeFileSync(manifestPath(made!.file), original);

  // Restore: never over a non-empty database without --clean; into an empty one, with the migration status.
  const over = await run('restore.ts', [made!.file, '--target', db.url], env);
  t.equal(over.code, 1);
  t.match(over.out, /not empty/);
  const target = await createTestDatabase({ template: false });
  t.teardown(target.drop);
  const restored = await run('restore.ts', [made!.file, '--target', target.url], env);
  t.equal(restored.code, 0, 'exits 0', { output: restored.out });
  t.match(restored.out, /migrations up to date/);
  t.same(await withClient(target.url, (c) => countRows(c)), manifest.tables, 'same rows after restore');
  const again = await run('restore.ts', [made!.file, '--target', target.url, '--clean'], env);
  t.equal(again.code, 0, 'exits 0', { output: again.out });

  // A damaged file is refused before anything is touched.
  const damaged = path.join(dir, path.basename(made!.file).replace('.dump', '-copy.dump'));
  const bytes = fs.readFileSync(made!.file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
  fs.writeFileSync(damaged, bytes);
  fs.copyFileSync(`${made!.file}.sha256`, `${damaged}.sha256`);
  const corrupt = await run('restore.ts', [damaged, '--target', target.url, '--clean'], env);
  t.equal(corrupt.code, 1);
  t.match(corrupt.out, /SHA-256 mismatch/);
});

t.test('one backup at a time; an old pg_dump is refused', async (t) => {
  const db = await createTestDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-backups-'));
  t.teardown(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await withClient(db.url, async (c) => {
    await c.query('SELECT pg_advisory_lock($1::bigint)', [BACKUP_LOCK_KEY]);
    const locked = await run('backup.ts', [], { DATABASE_URL: db.url, BACKUP_DIR: dir });
    t.equal(locked.code, 1);
    t.match(locked.out, /another backup .* is running/);
  });

  const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-fake-pg-'));
  t.teardown(() => fs.rmSync(fake, { recursive: true, force: true }));
  fs.writeFileSync(path.join(fake, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 14.11"\n', { mode: 0o755 });
  const old = await run('backup.ts', [], { DATABASE_URL: db.url, BACKUP_DIR: dir, PG_BIN_DIR: fake });
  t.equal(old.code, 1);
  t.match(old.out, /pg_dump 14\.11 .* is older than the server \(PostgreSQL 15/);
  t.same(listBackups(dir), [], 'nothing written');
});

t.test('prune: older than the retention goes, the newest always stays', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-prune-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const names = [
    'acolhe-20260101T000000Z',
    'acolhe-20260301T000000Z',
    'acolhe-20261120T000000Z',
    'other-20200101T000000Z',
  ];
  for (const n of names)
    for (const ext of ['.dump', '.dump.sha256', '.manifest.json']) fs.writeFileSync(path.join(dir, n + ext), '');
  const now = Date.parse('2026-11-25T00:00:00Z');
  t.same(
    prune(dir, 'acolhe', 30, () => {}, now),
    ['acolhe-20260101T000000Z.dump', 'acolhe-20260301T000000Z.dump'],
  );
  t.same(
    prune(dir, 'acolhe', 1, () => {}, now),
    [],
    'the newest is kept even when it is too old',
  );
  t.same(
    fs.readdirSync(dir).sort(),
    [
      'acolhe-20261120T000000Z.dump',
      'acolhe-20261120T000000Z.dump.sha256',
      'acolhe-20261120T000000Z.manifest.json',
      'other-20200101T000000Z.dump',
      'other-20200101T000000Z.dump.sha256',
      'other-20200101T000000Z.manifest.json',
    ],
    'another database’s backups are not touched',
  );
});
