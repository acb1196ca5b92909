// pg_dump and pg_restore never see a password on their command line (any user reads it with `ps`): the schema
// dump, backups and restores give it in PGPASSWORD. PG_BIN_DIR points at wrappers that record the arguments and
// environment each tool is started with, then run the real tool; the server authenticates with SCRAM, so the
// runs succeeding also proves the password arrived by the environment.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../helpers/db.js';
import { runScript } from '../helpers/scripts.js';
import { dumpSchema } from '../../apps/backend/src/database/migrator.js';
import { listBackups } from '../../apps/backend/src/database/backup/tools.js';

interface Call {
  tool: string;
  argv: string[];
  pgpassword: boolean;
}

/** A PG_BIN_DIR of recording wrappers around the real pg_dump and pg_restore. */
function recordingTools(t: Test) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-pg-tools-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'calls.log');
  for (const tool of ['pg_dump', 'pg_restore']) {
    const real = process.env.PG_BIN_DIR
      ? path.join(process.env.PG_BIN_DIR, tool)
      : spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    t.ok(real, `the real ${tool}`);
    fs.writeFileSync(
      path.join(dir, tool),
      [
        '#!/bin/sh',
        `{ echo "call ${tool}"; for a in "$@"; do printf 'arg %s\\n' "$a"; done; echo "pgpassword \${PGPASSWORD:+set}"; } >> '${log}'`,
        `exec '${real}' "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  const calls = (): Call[] =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .split(/^call /m)
          .filter(Boolean)
          .map((block) => {
            const [tool, ...lines] = block.trimEnd().split('\n');
            return {
              tool: tool!,
              argv: lines.filter((l) => l.startsWith('arg ')).map((l) => l.slice(4)),
              pgpassword: lines.includes('pgpassword set'),
            };
          })
      : [];
  return { dir, calls };
}

function assertNoPassword(t: Test, calls: Call[], password: string) {
  for (const call of calls) {
    const line = call.argv.join(' ');
    t.notOk(line.includes(password), `${call.tool} ${line.slice(0, 60)}…: no password on the command line`);
    t.notOk(/postgres(ql)?:\/\//.test(line), `${call.tool}: no connection URL on the command line`);
  }
  const connecting = calls.filter((c) => !c.argv.includes('--version') && !c.argv.includes('--list'));
  t.ok(connecting.length > 0, 'the tools connected');
  for (const call of connecting) t.ok(call.pgpassword, `${call.tool} had PGPASSWORD`);
}

t.test('the schema dump (npm run migrate -- dump) gives pg_dump the password in the environment', async (t) => {
  const db = await createTestDatabase();
  t.teardown(db.drop);
  const tools = recordingTools(t);
  const previous = process.env.PG_BIN_DIR;
  process.env.PG_BIN_DIR = tools.dir;
  t.teardown(() => {
    if (previous === undefined) delete process.env.PG_BIN_DIR;
    else process.env.PG_BIN_DIR = previous;
  });
  const dump = await dumpSchema(db.url);
  t.match(dump, /CREATE TABLE public\.users/, 'pg_dump connected and dumped');
  const calls = tools.calls();
  t.equal(calls.filter((c) => c.tool === 'pg_dump').length, 1);
  assertNoPassword(t, calls, decodeURIComponent(new URL(db.url).password));
});

t.test('backup and restore give pg_dump and pg_restore the password in the environment', async (t) => {
  const source = await createTestDatabase();
  const target = await createTestDatabase({ template: false });
  const backups = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-backups-'));
  t.teardown(async () => {
    await source.drop();
    await target.drop();
    fs.rmSync(backups, { recursive: true, force: true });
  });
  const tools = recordingTools(t);
  const password = decodeURIComponent(new URL(source.url).password);

  const backup = await runScript('backup.ts', [], {
    DATABASE_URL: source.url,
    BACKUP_DIR: backups,
    PG_BIN_DIR: tools.dir,
  });
  t.equal(backup.code, 0, 'backup exits 0', { output: backup.out });
  const [made] = listBackups(backups);

  // As the runbook says: the target URL without its password, the password in PGPASSWORD.
  const bare = new URL(target.url);
  bare.password = '';
  const restore = await runScript('restore.ts', [made!.file, '--target', bare.toString(), '--no-owner'], {
    PGPASSWORD: password,
    PG_BIN_DIR: tools.dir,
  });
  t.equal(restore.code, 0, 'restore exits 0', { output: restore.out });
  t.notMatch(restore.out, /warning/, 'no warning for a URL without a password');

  const calls = tools.calls();
  t.ok(
    calls.some((c) => c.tool === 'pg_dump' && !c.argv.includes('--version')),
    'pg_dump ran',
  );
  t.ok(
    calls.some((c) => c.tool === 'pg_restore' && c.argv.includes('--single-transaction')),
    'pg_restore ran',
  );
  assertNoPassword(t, calls, password);

  const warned = await runScript('restore.ts', [made!.file, '--target', target.url, '--clean', '--no-owner'], {
    PG_BIN_DIR: tools.dir,
  });
  t.equal(warned.code, 0, { output: warned.out });
  t.match(warned.out, /warning: a password in --target is visible to every user/);
  t.notMatch(warned.out, password, 'the password is not printed');
});
