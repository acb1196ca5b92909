// The migration engine against a real, empty PostgreSQL database per test, with fixture migrations.
import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  migrateDown,
  migrateRedo,
  migrateUp,
  MIGRATION_LOCK_KEY,
  MigrationError,
  readStatus,
} from '../../apps/backend/src/database/migrator.js';
import { createTestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';
import {
  appliedVersions,
  fixtureDir,
  migration,
  query,
  relationExists,
  withClient,
  type FixtureDir,
} from './_support.js';

const ONE = '202601010000__one.sql';
const TWO = '202601010001__two.sql';
const THREE = '202601010002__three.sql';
const table = (name: string) => migration(`CREATE TABLE ${name} (id int);`, `DROP TABLE ${name};`);

async function setup(
  t: Test,
  files: Record<string, string> = { [ONE]: table('a'), [TWO]: table('b'), [THREE]: table('c') },
): Promise<{ url: string; fx: FixtureDir }> {
  const db = await createTestDatabase({ template: false });
  t.teardown(db.drop);
  return { url: db.url, fx: await fixtureDir(t, files) };
}

const rejection = async (p: Promise<unknown>): Promise<MigrationError> => {
  const err = await p.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (!(err instanceof MigrationError)) throw err;
  return err;
};

t.test('up applies every file once, records history, and a second up is a no-op', async (t) => {
  const { url, fx } = await setup(t);
  const lines: string[] = [];
  const first = await migrateUp({ connectionString: url, dir: fx.dir, log: (l) => lines.push(l) });
  t.same(first.applied, ['202601010000', '202601010001', '202601010002']);
  t.equal(
    lines.filter((l) => /^applied +2026010100\d\d__\w+\.sql +\d+ ms$/.test(l)).length,
    3,
    'one line per migration with its duration',
  );
  const rows = await query<{
    version: string;
    name: string;
    checksum: string;
    execution_ms: number;
    applied_by: string;
    applied_at: Date;
  }>(
    url,
    'SELECT version, name, checksum, execution_ms, applied_by, applied_at FROM schema_migrations ORDER BY version',
  );
  t.same(
    rows.map((r) => r.name),
    ['one', 'two', 'three'],
  );
  const text = await readFile(path.join(fx.dir, ONE), 'utf8');
  const { createHash } = await import('node:crypto');
  t.equal(rows[0]!.checksum, createHash('sha256').update(text).digest('hex'), 'checksum is the SHA-256 of the file');
  t.ok(rows.every((r) => Number.isInteger(r.execution_ms) && r.execution_ms >= 0));
  t.match(rows[0]!.applied_by, /^postgres \(.+@.+\)$/, 'database role and OS user@host');
  t.type(rows[0]!.applied_at, Date);
  t.same((await migrateUp({ connectionString: url, dir: fx.dir })).applied, []);
  t.same(await appliedVersions(url), ['202601010000', '202601010001', '202601010002']);
});

t.test('up --to stops at the version; an unknown --to is refused', async (t) => {
  const { url, fx } = await setup(t);
  t.same((await migrateUp({ connectionString: url, dir: fx.dir, to: '202601010001' })).applied, [
    '202601010000',
    '202601010001',
  ]);
  t.notOk(await relationExists(url, 'c'));
  const err = await rejection(migrateUp({ connectionString: url, dir: fx.dir, to: '202601019999' }));
  t.match(err.message, /--to 202601019999: no migration file has this version/);
});

t.test('readStatus does not throw or write when schema_migrations does not exist', async (t) => {
  const { url, fx } = await setup(t);
  const status = await withClient(url, (c) => readStatus(c, fx.dir));
  t.same(status, {
    applied: [],
    pending: ['202601010000', '202601010001', '202601010002'],
    drifted: [],
    missing: [],
    outOfOrder: [],
  });
  t.notOk(await relationExists(url, 'public.schema_migrations'), 'the probe created nothing');
});

t.test('a failing migration is rolled back whole, names file, message and line, and stops the run', async (t) => {
  const failing = migration(
    [
      'CREATE TABLE b (id int);',
      'INSERT INTO b VALUES (1);',
      'SELECT id',
      '  FROM b',
      '  WHERE no_such_column = 1;',
    ].join('\n'),
    'DROP TABLE b;',
  );
  const { url, fx } = await setup(t, { [ONE]: table('a'), [TWO]: failing, [THREE]: table('c') });
  const err = await rejection(migrateUp({ connectionString: url, dir: fx.dir }));
  t.match(
    err.message,
    /^202601010001__two\.sql: the up section failed at line 6: column "no_such_column" does not exist \(SQLSTATE 42703\)/,
  );
  t.match(err.message, /statement \(line 4\): SELECT id \.\.\./);
  t.match(err.message, /rolled back: nothing of this file was applied or recorded/);
  t.equal(err.file, TWO);
  t.equal(err.line, 6);
  t.ok(await relationExists(url, 'a'), 'the file before it stays applied');
  t.notOk(await relationExists(url, 'b'), 'nothing of the failing file remains');
  t.notOk(await relationExists(url, 'c'), 'later files did not run');
  t.same(await appliedVersions(url), ['202601010000']);
});

t.test('an error without a position points at the failing statement; a syntax error at its token', async (t) => {
  const { url, fx } = await setup(t, {
    [ONE]: migration('CREATE TABLE a (id int);\n\nSELECT 1 / 0;', 'DROP TABLE a;'),
  });
  const err = await rejection(migrateUp({ connectionString: url, dir: fx.dir }));
  t.match(err.message, /^202601010000__one\.sql: the up section failed at line 4: division by zero/);
  t.same(await appliedVersions(url), []);
  t.notOk(await relationExists(url, 'a'));
  await fx.write(
    ONE,
    migration('CREATE TABLE a (id int);\nCREATE TABLE b (\n  id int,\n  oops oops oops\n);', 'DROP TABLE a;'),
  );
  const syntax = await rejection(migrateUp({ connectionString: url, dir: fx.dir }));
  t.match(syntax.message, /failed at line 5: syntax error at or near "oops"/);
});

t.test('drift: a changed applied file makes up refuse, naming it; CRLF alone is not drift', async (t) => {
  const { url, fx } = await setup(t);
  await migrateUp({ connectionString: url, dir: fx.dir });
  const original = await readFile(path.join(fx.dir, ONE), 'utf8');
  await fx.write(ONE, original.replace(/\n/g, '\r\n'));
  t.same((await withClient(url, (c) => readStatus(c, fx.dir))).drifted, [], 'line endings are normalised');
  await fx.write(ONE, original.replace('id int', 'id bigint'));
  await fx.write('202601010003__four.sql', table('d'));
  t.same((await withClient(url, (c) => readStatus(c, fx.dir))).drifted, [ONE]);
  const err = await rejection(migrateUp({ connectionString: url, dir: fx.dir }));
  t.match(err.message, /changed since they were applied: 202601010000__one\.sql\b/);
  t.notOk(await relationExists(url, 'd'), 'nothing was applied');
  const down = await rejection(migrateDown({ connectionString: url, dir: fx.dir, to: '0' }));
  t.match(down.message, /refusing to roll back 202601010000__one\.sql: the file changed/);
  t.same(
    await appliedVersions(url),
    ['202601010000', '202601010001', '202601010002'],
    'down refused before touching anything',
  );
});

t.test('missing: an applied version without a file is reported; up warns and goes on; down refuses', async (t) => {
  const { url, fx } = await setup(t);
  await migrateUp({ connectionString: url, dir: fx.dir });
  await fx.remove(THREE);
  await fx.write('202601010003__four.sql', table('d'));
  t.same((await withClient(url, (c) => readStatus(c, fx.dir))).missing, ['202601010002']);
  const lines: string[] = [];
  t.same((await migrateUp({ connectionString: url, dir: fx.dir, log: (l) => lines.push(l) })).applied, [
    '202601010003',
  ]);
  t.ok(lines.some((l) => /202601010002 is applied but its file is missing/.test(l)));
  await migrateDown({ connectionString: url, dir: fx.dir });
  const err = await rejection(migrateDown({ connectionString: url, dir: fx.dir }));
  t.match(err.message, /cannot roll back 202601010002 \(three\): its file is missing/);
});

t.test('out of order: an older pending file is refused unless allowed', async (t) => {
  const { url, fx } = await setup(t, { [ONE]: table('a'), [THREE]: table('c') });
  await migrateUp({ connectionString: url, dir: fx.dir });
  await fx.write(TWO, table('b'));
  t.same((await withClient(url, (c) => readStatus(c, fx.dir))).outOfOrder, ['202601010001']);
  const err = await rejection(migrateUp({ connectionString: url, dir: fx.dir }));
  t.match(
    err.message,
    /older than the newest applied one \(202601010002\): 202601010001__two\.sql.*--allow-out-of-order/s,
  );
  t.notOk(await relationExists(url, 'b'));
  t.same((await migrateUp({ connectionString: url, dir: fx.dir, allowOutOfOrder: true })).applied, ['202601010001']);
  t.ok(await relationExists(url, 'b'));
});

t.test('transaction:false runs CREATE INDEX CONCURRENTLY outside a transaction', async (t) => {
  const concurrently = (marker: string) =>
    migration(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS a_id_idx ON a (id);',
      'DROP INDEX CONCURRENTLY IF EXISTS a_id_idx;',
      marker,
      marker.replace('up', 'down'),
    );
  const { url, fx } = await setup(t, {
    [ONE]: migration('CREATE TABLE a (id int);\nINSERT INTO a SELECT generate_series(1, 1000);', 'DROP TABLE a;'),
  });
  await fx.write(TWO, concurrently('-- migrate:up'));
  const control = await rejection(migrateUp({ connectionString: url, dir: fx.dir }));
  t.match(
    control.message,
    /CREATE INDEX CONCURRENTLY cannot run inside a transaction block/,
    'control: the same file in a transaction fails',
  );
  await fx.write(TWO, concurrently('-- migrate:up transaction:false'));
  t.same((await migrateUp({ connectionString: url, dir: fx.dir })).applied, ['202601010001']);
  const idx = await query<{ indisvalid: boolean }>(
    url,
    `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('a_id_idx')`,
  );
  t.same(idx, [{ indisvalid: true }], 'the index exists and is valid');
  t.same(await appliedVersions(url), ['202601010000', '202601010001']);
  t.same((await migrateDown({ connectionString: url, dir: fx.dir })).applied, ['202601010001']);
  t.notOk(await relationExists(url, 'a_id_idx'));
  t.same(await appliedVersions(url), ['202601010000']);
});

t.test('dry run prints what would run and writes nothing', async (t) => {
  const { url, fx } = await setup(t);
  const up = await migrateUp({ connectionString: url, dir: fx.dir, dryRun: true });
  t.equal(up.dryRun, true);
  t.same(up.applied, []);
  t.same(
    up.steps.map((s) => s.version),
    ['202601010000', '202601010001', '202601010002'],
  );
  t.match(up.script, /CREATE TABLE IF NOT EXISTS public\.schema_migrations/);
  t.match(
    up.script,
    /-- 202601010000__one\.sql \(up\)\nBEGIN;\nCREATE TABLE a \(id int\);\nINSERT INTO public\.schema_migrations .*'202601010000'.*\nCOMMIT;/,
  );
  t.same(await userObjectsIn(url), [], 'not even schema_migrations was created');
  await migrateUp({ connectionString: url, dir: fx.dir });
  const down = await migrateDown({ connectionString: url, dir: fx.dir, to: '0', dryRun: true });
  t.same(
    down.steps.map((s) => s.version),
    ['202601010002', '202601010001', '202601010000'],
  );
  t.match(down.script, /DROP TABLE c;\nDELETE FROM public\.schema_migrations WHERE version = '202601010002';/);
  t.same(await appliedVersions(url), ['202601010000', '202601010001', '202601010002']);
  t.ok(await relationExists(url, 'c'));
  const redo = await migrateRedo({ connectionString: url, dir: fx.dir, dryRun: true });
  t.same(
    redo.steps.map((s) => `${s.direction} ${s.version}`),
    ['down 202601010002', 'up 202601010002'],
  );
  t.same(await appliedVersions(url), ['202601010000', '202601010001', '202601010002']);
});

const userObjectsIn = (url: string) =>
  query<{ relname: string }>(
    url,
    `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`,
  ).then((r) => r.map((x) => x.relname));

t.test('down: one step by default, --steps N, --to VERSION, --to 0; redo', async (t) => {
  const { url, fx } = await setup(t);
  await migrateUp({ connectionString: url, dir: fx.dir });
  t.same((await migrateDown({ connectionString: url, dir: fx.dir })).applied, ['202601010002']);
  t.notOk(await relationExists(url, 'c'));
  await migrateUp({ connectionString: url, dir: fx.dir });
  t.same((await migrateDown({ connectionString: url, dir: fx.dir, steps: 2 })).applied, [
    '202601010002',
    '202601010001',
  ]);
  await migrateUp({ connectionString: url, dir: fx.dir });
  t.same((await migrateDown({ connectionString: url, dir: fx.dir, to: '202601010000' })).applied, [
    '202601010002',
    '202601010001',
  ]);
  t.same(await appliedVersions(url), ['202601010000']);
  t.same((await migrateDown({ connectionString: url, dir: fx.dir, to: '0' })).applied, ['202601010000']);
  t.same((await migrateDown({ connectionString: url, dir: fx.dir, to: '0' })).applied, [], 'nothing left to roll back');
  t.match(
    (await rejection(migrateDown({ connectionString: url, dir: fx.dir, steps: 0 }))).message,
    /--steps must be a positive integer/,
  );
  t.match(
    (await rejection(migrateDown({ connectionString: url, dir: fx.dir, to: 'yesterday' }))).message,
    /--to must be a version/,
  );
  await migrateUp({ connectionString: url, dir: fx.dir });
  const redo = await migrateRedo({ connectionString: url, dir: fx.dir });
  t.same(
    redo.steps.map((s) => `${s.direction} ${s.version}`),
    ['down 202601010002', 'up 202601010002'],
  );
  t.ok(await relationExists(url, 'c'));
  t.same(await appliedVersions(url), ['202601010000', '202601010001', '202601010002']);
});

t.test('lock: two runners started together both succeed and each file is applied once', async (t) => {
  // The second file waits on an advisory lock the test holds: the first runner keeps the migration lock until
  // the test has seen the other runner wait for it.
  const GATE = 424_242;
  const gated = migration(`CREATE TABLE b (id int);\nSELECT pg_advisory_xact_lock(${GATE});`, 'DROP TABLE b;');
  const { url, fx } = await setup(t, { [ONE]: table('a'), [TWO]: gated, [THREE]: table('c') });
  const waits: string[] = [];
  const run = () =>
    migrateUp({ connectionString: url, dir: fx.dir, log: (l) => l.startsWith('waiting') && waits.push(l) });
  const [r1, r2] = await withClient(url, async (gate) => {
    await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
    const both = Promise.all([run(), run()]);
    both.catch(() => undefined); // awaited below
    await waitFor(() => waits.length > 0, { timeout: 30_000, what: 'a runner waiting for the migration lock' });
    await gate.query('SELECT pg_advisory_unlock($1)', [GATE]);
    return both;
  });
  t.same(
    [...r1.applied, ...r2.applied].sort(),
    ['202601010000', '202601010001', '202601010002'],
    'every file applied by exactly one runner',
  );
  t.ok(r1.applied.length === 0 || r2.applied.length === 0, 'the runner that waited found nothing pending');
  t.equal(waits.length, 1, 'the second runner waited for the lock');
  t.same(await appliedVersions(url), ['202601010000', '202601010001', '202601010002']);
});

t.test('lock: a runner gives up after --lock-timeout with a clear message and changes nothing', async (t) => {
  const { url, fx } = await setup(t);
  await withClient(url, async (holder) => {
    await holder.query(`SET application_name = 'lock-holder-test'`);
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    const started = Date.now();
    const err = await rejection(migrateUp({ connectionString: url, dir: fx.dir, lockTimeoutMs: 300 }));
    t.match(
      err.message,
      /could not take the migration lock within 0\.3 s: another runner \(pid \d+, lock-holder-test, role postgres/,
    );
    t.ok(Date.now() - started >= 300, 'it waited for the timeout');
    t.notOk(await relationExists(url, 'public.schema_migrations'));
  });
  t.same(
    (await migrateUp({ connectionString: url, dir: fx.dir, lockTimeoutMs: 300 })).applied.length,
    3,
    'works once the holder is gone',
  );
});

t.test('a session-level SET in one file does not leak into the next', async (t) => {
  const { url, fx } = await setup(t, {
    [ONE]: migration('SET search_path = pg_catalog;\nSELECT 1;', 'SELECT 1;'),
    [TWO]: table('b'),
  });
  t.same((await migrateUp({ connectionString: url, dir: fx.dir })).applied, ['202601010000', '202601010001']);
  t.ok(await relationExists(url, 'public.b'), 'created in public, not under the leaked search_path');
});
