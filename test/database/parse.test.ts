// The file format: names, sections, transaction:false, and the statement splitter. No database.
import t from 'tap';
import {
  checksumOf,
  loadMigrations,
  MigrationError,
  parseMigration,
  splitStatements,
} from '../../apps/backend/src/database/migrator.js';
import { fixtureDir, migration } from './_support.js';

const texts = (sql: string) => splitStatements(sql).map((s) => s.sql);

t.test('splitter keeps semicolons inside quotes, dollar quotes, comments and BEGIN ATOMIC', async (t) => {
  t.same(texts('SELECT 1; SELECT 2'), ['SELECT 1', 'SELECT 2']);
  t.same(texts("SELECT 'a;b'; SELECT 'it''s;'"), ["SELECT 'a;b'", "SELECT 'it''s;'"]);
  t.same(texts("SELECT E'\\';x'; SELECT 2"), ["SELECT E'\\';x'", 'SELECT 2'], 'E-string backslash escape');
  t.same(texts('SELECT "a;""b"; SELECT 2'), ['SELECT "a;""b"', 'SELECT 2']);
  t.same(texts('DO $$ BEGIN PERFORM 1; END $$; SELECT 2'), ['DO $$ BEGIN PERFORM 1; END $$', 'SELECT 2']);
  t.same(
    texts('DO $body$ SELECT $$;$$; $body$; SELECT 2'),
    ['DO $body$ SELECT $$;$$; $body$', 'SELECT 2'],
    'nested dollar tags',
  );
  t.same(
    texts('SELECT $1; SELECT a$b FROM t'),
    ['SELECT $1', 'SELECT a$b FROM t'],
    'parameters and identifiers with $ are not quotes',
  );
  t.same(texts('-- a; comment\nSELECT 1; /* x; /* nested; */ y; */ SELECT 2;'), ['SELECT 1', 'SELECT 2']);
  t.same(
    texts('SELECT 1 -- trailing; comment\n; SELECT 2'),
    ['SELECT 1 -- trailing; comment', 'SELECT 2'],
    'a semicolon in a line comment does not end the statement',
  );
  t.same(
    texts(
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3',
    ),
    [
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END',
      'SELECT 3',
    ],
  );
  t.same(texts('  \n-- only a comment\n/* and another */\n'), [], 'comments only: no statement');
  t.same(texts('BEGIN; SELECT 1; END;'), ['BEGIN', 'SELECT 1', 'END'], 'plain BEGIN/END are statements');
});

t.test('statements know the line they start on', async (t) => {
  const stmts = splitStatements('-- header\n\nSELECT 1;\n\n  SELECT\n  2;');
  t.same(
    stmts.map((s) => s.line),
    [3, 5],
  );
});

t.test('a well-formed file', async (t) => {
  const f = parseMigration(
    '202611250900__add_things.sql',
    migration('CREATE TABLE a (id int);\nCREATE TABLE b (id int);', 'DROP TABLE b;\nDROP TABLE a;'),
  );
  t.equal(f.version, '202611250900');
  t.equal(f.name, 'add_things');
  t.equal(f.up.statements.length, 2);
  t.equal(f.up.statements[1]!.line, 3);
  t.equal(f.down.statements[0]!.line, 6);
  t.equal(f.up.transaction, true);
  t.equal(f.down.transaction, true);
});

t.test('checksum ignores CRLF vs LF and nothing else', async (t) => {
  const lf = migration('SELECT 1;', 'SELECT 2;');
  t.equal(checksumOf(lf.replace(/\n/g, '\r\n')), checksumOf(lf));
  t.not(checksumOf(`${lf} `), checksumOf(lf));
  t.match(checksumOf(lf), /^[0-9a-f]{64}$/);
});

t.test('transaction:false', async (t) => {
  const f = parseMigration(
    '202611250900__idx.sql',
    migration(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
      'DROP INDEX CONCURRENTLY IF EXISTS i;',
      '-- migrate:up transaction:false',
      '-- migrate:down transaction:false',
    ),
  );
  t.equal(f.up.transaction, false);
  t.equal(f.down.transaction, false);
  t.throws(
    () =>
      parseMigration(
        '202611250900__idx.sql',
        migration(
          'SET lock_timeout = 1;\nCREATE INDEX CONCURRENTLY i ON t (a);',
          'DROP INDEX i;',
          '-- migrate:up transaction:false',
        ),
      ),
    {
      name: 'MigrationError',
      message: /202611250900__idx\.sql: the up section.*transaction:false.*exactly one statement.*holds 2.*line 3/,
    },
  );
  t.throws(
    () =>
      parseMigration('202611250900__idx.sql', migration('SELECT 1;', 'SELECT 1;', '-- migrate:up transaction:maybe')),
    { message: /unknown option "transaction:maybe"/ },
  );
});

t.test('refusals name the file and the reason', async (t) => {
  const ok = migration('SELECT 1;', 'SELECT 1;');
  for (const bad of [
    '20261125090__short.sql',
    '202611250900_single_underscore.sql',
    '202611250900__Upper.sql',
    '202611250900__x.SQL',
    'x__y.sql',
  ]) {
    t.throws(
      () => parseMigration(bad, ok),
      { message: new RegExp(`^${bad.replace(/\./g, '\\.')}: malformed file name`) },
      bad,
    );
  }
  t.throws(() => parseMigration('202613250900__bad_month.sql', ok), { message: /not a valid UTC timestamp/ });
  t.throws(() => parseMigration('202611250900__a.sql', '-- migrate:up\nSELECT 1;\n'), {
    message: /202611250900__a\.sql: no "-- migrate:down" section/,
  });
  t.throws(() => parseMigration('202611250900__a.sql', '-- migrate:down\nSELECT 1;\n'), {
    message: /no "-- migrate:up" section/,
  });
  t.throws(() => parseMigration('202611250900__a.sql', `${ok}-- migrate:up\nSELECT 3;\n`), {
    message: /more than one/,
  });
  t.throws(() => parseMigration('202611250900__a.sql', '-- migrate:down\nSELECT 1;\n-- migrate:up\nSELECT 2;\n'), {
    message: /comes before/,
  });
  t.throws(() => parseMigration('202611250900__a.sql', `SELECT 0;\n${ok}`), {
    message: /line 1: SQL before "-- migrate:up"/,
  });
  t.throws(() => parseMigration('202611250900__a.sql', migration('-- nothing yet', 'SELECT 1;')), {
    message: /the up section \(line 1\) is empty/,
  });
  t.throws(() => parseMigration('202611250900__a.sql', migration('SELECT 1;', '')), {
    message: /the down section \(line 4\) is empty/,
  });
  t.doesNotThrow(() => parseMigration('202611250900__a.sql', `-- a header comment is fine\n${ok}`));
});

t.test('loadMigrations sorts, ignores non-SQL files and reports every problem at once', async (t) => {
  const fx = await fixtureDir(t, {
    '202611250901__b.sql': migration('SELECT 1;', 'SELECT 1;'),
    '202611250900__a.sql': migration('SELECT 1;', 'SELECT 1;'),
    'README.md': 'not a migration',
  });
  t.same(
    (await loadMigrations(fx.dir)).map((f) => f.fileName),
    ['202611250900__a.sql', '202611250901__b.sql'],
  );
  await fx.write('bad name.sql', 'x');
  await fx.write('202611250901__b_again.sql', migration('SELECT 1;', 'SELECT 1;'));
  const err = await loadMigrations(fx.dir).catch((e: unknown) => e);
  t.type(err, MigrationError);
  t.match((err as Error).message, /bad name\.sql: malformed file name/);
  t.match((err as Error).message, /version 202611250901 is also used by/);
});
