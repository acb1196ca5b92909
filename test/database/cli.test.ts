// scripts/migrate.ts as a subprocess: exit codes, output, the lock across processes, create, lint.
import t, { type Test } from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadMigrations } from '../../apps/backend/src/database/migrator.js';
import { createTestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';
import { appliedVersions, fixtureDir, migration, query, relationExists, runCli, withClient } from './_support.js';

const ONE = '202601010000__one.sql';
const TWO = '202601010001__two.sql';
const table = (name: string) =>
  migration(
    `SET LOCAL lock_timeout = '5s';\nCREATE TABLE ${name} (id bigint);`,
    `SET LOCAL lock_timeout = '5s';\nDROP TABLE ${name};`,
  );

async function database(t: Test): Promise<string> {
  const db = await createTestDatabase({ template: false });
  t.teardown(db.drop);
  return db.url;
}

t.test('status --exit-code: 1 while pending or drifted, 0 when up to date', async (t) => {
  const url = await database(t);
  const fx = await fixtureDir(t, { [ONE]: table('a'), [TWO]: table('b') });
  const env = { MIGRATION_DATABASE_URL: url };
  const pending = await runCli(['status', '--exit-code', '--dir', fx.dir], env);
  t.equal(pending.code, 1, 'pending migrations');
  t.match(pending.stdout, /pending +202601010000__one\.sql/);
  t.equal((await runCli(['status', '--dir', fx.dir], env)).code, 0, 'without --exit-code status always exits 0');

  const up = await runCli(['--dir', fx.dir], env);
  t.equal(up.code, 0, 'no command means up');
  t.match(up.stdout, /^applied +202601010000__one\.sql +\d+ ms$/m, 'one line per migration with its duration');
  t.same(await appliedVersions(url), ['202601010000', '202601010001']);

  const clean = await runCli(['status', '--exit-code', '--json', '--dir', fx.dir], env);
  t.equal(clean.code, 0);
  const json = JSON.parse(clean.stdout) as { upToDate: boolean; pending: string[]; applied: { version: string }[] };
  t.equal(json.upToDate, true);
  t.same(
    json.applied.map((a) => a.version),
    ['202601010000', '202601010001'],
  );

  await fx.write(ONE, `${table('a')}-- an edit after the fact\n`);
  const drifted = await runCli(['status', '--exit-code', '--dir', fx.dir], env);
  t.equal(drifted.code, 1, 'drifted');
  t.match(drifted.stdout, /DRIFTED +202601010000__one\.sql/);
  const refused = await runCli(['up', '--dir', fx.dir], env);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /202601010000__one\.sql/);
  const validate = await runCli(['validate', '--dir', fx.dir], env);
  t.equal(validate.code, 1, 'validate fails on drift');
  t.match(validate.stdout, /202601010000__one\.sql: changed since it was applied/);
});

t.test('up --json prints one JSON document on stdout', async (t) => {
  const url = await database(t);
  const fx = await fixtureDir(t, { [ONE]: table('a') });
  const r = await runCli(['up', '--json', '--dir', fx.dir], { MIGRATION_DATABASE_URL: url });
  t.equal(r.code, 0);
  const doc = JSON.parse(r.stdout) as { applied: string[]; steps: { file: string; ms: number }[] };
  t.same(doc.applied, ['202601010000']);
  t.equal(doc.steps[0]!.file, ONE);
  t.type(doc.steps[0]!.ms, 'number');
});

t.test('the connection: MIGRATION_DATABASE_URL, else DIRECT_DATABASE_URL, never a transaction pooler', async (t) => {
  const url = await database(t);
  const fx = await fixtureDir(t, { [ONE]: table('a') });
  // DATABASE_URL a transaction pooler the CLI must not use (here: nothing listens there).
  const pooler = Object.assign(new URL(url), { port: '1' }).toString();
  const direct = await runCli(['up', '--dir', fx.dir], { DATABASE_URL: pooler, DIRECT_DATABASE_URL: url });
  t.equal(direct.code, 0, `applied over DIRECT_DATABASE_URL: ${direct.stderr}`);
  t.same(await appliedVersions(url), ['202601010000']);
  const owner = await runCli(['status', '--exit-code', '--dir', fx.dir], {
    DATABASE_URL: pooler,
    DIRECT_DATABASE_URL: pooler,
    MIGRATION_DATABASE_URL: url,
  });
  t.equal(owner.code, 0, 'MIGRATION_DATABASE_URL first');
  const refused = await runCli(['status', '--dir', fx.dir], { DATABASE_URL: url, DIRECT_DATABASE_URL: pooler });
  t.not(refused.code, 0, 'DIRECT_DATABASE_URL wins over DATABASE_URL (here it points nowhere)');
});

t.test('two CLI runners started together both exit 0 and apply each file once', async (t) => {
  const url = await database(t);
  // The second file waits on an advisory lock the test holds until both runners are connected: they overlap.
  const GATE = 424_243;
  const gated = migration(`CREATE TABLE b (id int);\nSELECT pg_advisory_xact_lock(${GATE});`, 'DROP TABLE b;');
  const fx = await fixtureDir(t, { [ONE]: table('a'), [TWO]: gated });
  const env = { MIGRATION_DATABASE_URL: url };
  const [r1, r2] = await withClient(url, async (gate) => {
    await gate.query('SELECT pg_advisory_lock($1)', [GATE]);
    const both = Promise.all([
      runCli(['up', '--json', '--dir', fx.dir], env),
      runCli(['up', '--json', '--dir', fx.dir], env),
    ]);
    both.catch(() => undefined); // awaited below
    await waitFor(
      async () =>
        (
          await query<{ n: number }>(
            url,
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'acolhe-migrate'",
          )
        )[0]!.n >= 2,
      { timeout: 60_000, interval: 100, what: 'both runners connected' },
    );
    await gate.query('SELECT pg_advisory_unlock($1)', [GATE]);
    return both;
  });
  t.equal(r1.code, 0, r1.stderr);
  t.equal(r2.code, 0, r2.stderr);
  const applied = [r1, r2].flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied).sort();
  t.same(applied, ['202601010000', '202601010001'], 'each file applied by exactly one of them');
  t.same(await appliedVersions(url), ['202601010000', '202601010001']);
});

t.test('a failing migration: exit 1, the message without a stack, nothing recorded', async (t) => {
  const url = await database(t);
  const fx = await fixtureDir(t, {
    [ONE]: migration('CREATE TABLE a (id int);\nSELECT * FROM missing_table;', 'DROP TABLE a;'),
  });
  const r = await runCli(['up', '--dir', fx.dir], { MIGRATION_DATABASE_URL: url });
  t.equal(r.code, 1);
  t.match(r.stderr, /202601010000__one\.sql: the up section failed at line 3: relation "missing_table" does not exist/);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.notOk(await relationExists(url, 'a'));
});

t.test('down is refused in production without --yes; --dry-run and --yes are allowed', async (t) => {
  const url = await database(t);
  const fx = await fixtureDir(t, { [ONE]: table('a') });
  const env = { MIGRATION_DATABASE_URL: url };
  t.equal((await runCli(['up', '--dir', fx.dir], env)).code, 0);
  const prod = { ...env, NODE_ENV: 'production' };
  const refused = await runCli(['down', '--dir', fx.dir], prod);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /refusing to roll back with NODE_ENV=production/);
  t.ok(await relationExists(url, 'a'));
  const dry = await runCli(['down', '--dry-run', '--dir', fx.dir], prod);
  t.equal(dry.code, 0);
  t.match(
    dry.stdout,
    /BEGIN;\nSET LOCAL lock_timeout = '5s';\nDROP TABLE a;\nDELETE FROM public\.schema_migrations WHERE version = '202601010000';\nCOMMIT;/,
  );
  t.ok(await relationExists(url, 'a'), 'the dry run changed nothing');
  t.equal((await runCli(['down', '--yes', '--dir', fx.dir], prod)).code, 0);
  t.notOk(await relationExists(url, 'a'));
});

t.test('create writes a UTC-stamped file with both sections', async (t) => {
  const fx = await fixtureDir(t);
  const before = new Date().toISOString().slice(0, 16).replace(/[-T:]/g, '');
  const r = await runCli(['create', 'Add beneficiárias', '--dir', fx.dir], {});
  t.equal(r.code, 0, r.stderr);
  const [name] = await readdir(fx.dir);
  t.match(name, /^\d{12}__add_beneficiarias\.sql$/);
  t.ok(name! >= `${before}__`, 'stamped with the current UTC time');
  const text = await readFile(path.join(fx.dir, name!), 'utf8');
  t.match(text, /^-- migrate:up\n[\s\S]*\n-- migrate:down\n/);
  t.equal((await loadMigrations(fx.dir)).length, 1, 'the new file parses');
  t.equal((await runCli(['create', 'Add beneficiárias', '--dir', fx.dir], {})).code, 0);
  t.equal((await readdir(fx.dir)).length, 2, 'a second file in the same minute gets the next minute');
  const nameless = await runCli(['create', '--dir', fx.dir], {});
  t.equal(nameless.code, 1);
});

// A transaction:false section holds one statement, so it cannot SET lock_timeout: the ignore says why.
const DROP_INDEX =
  '-- CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which blocks no reads or writes while it waits\n-- squawk-ignore require-lock-timeout\nDROP INDEX CONCURRENTLY IF EXISTS a_id_idx;';
const DOWN_NO_TX = '-- migrate:down transaction:false';

t.test('lint: squawk findings and unexplained squawk-ignore fail; a clean file passes', async (t) => {
  const fx = await fixtureDir(t, { [ONE]: table('a') });
  const clean = await runCli(['lint', '--dir', fx.dir], {});
  t.equal(clean.code, 0, clean.stdout + clean.stderr);
  await fx.write(
    TWO,
    migration(
      `SET LOCAL lock_timeout = '5s';\nCREATE INDEX a_id_idx ON a (id);`,
      DROP_INDEX,
      '-- migrate:up',
      DOWN_NO_TX,
    ),
  );
  const blocking = await runCli(['lint', '--dir', fx.dir], {});
  t.equal(blocking.code, 1);
  t.match(blocking.stdout, /require-concurrent-index-creation/);
  t.match(blocking.stdout, /202601010001__two\.sql \(up\):3/, 'the file and its real line');
  const ignoreWithoutWhy = migration(
    `SET LOCAL lock_timeout = '5s';\n-- squawk-ignore require-concurrent-index-creation\nCREATE INDEX a_id_idx ON a (id);`,
    DROP_INDEX,
    '-- migrate:up',
    DOWN_NO_TX,
  );
  await fx.write(TWO, ignoreWithoutWhy);
  const unexplained = await runCli(['lint', '--dir', fx.dir], {});
  t.equal(unexplained.code, 1);
  t.match(unexplained.stdout, /202601010001__two\.sql:3: .*needs a comment on the line above/);
  await fx.write(
    TWO,
    ignoreWithoutWhy.replace(
      '-- squawk-ignore',
      '-- a is created empty in the file before, so the build takes no time\n-- squawk-ignore',
    ),
  );
  const explained = await runCli(['lint', '--dir', fx.dir], {});
  t.equal(explained.code, 0, explained.stdout);
  await fx.write('202601010002_bad.sql', 'SELECT 1;');
  const badName = await runCli(['lint', '--dir', fx.dir], {});
  t.equal(badName.code, 1);
  t.match(badName.stdout, /202601010002_bad\.sql: malformed file name/);
});
