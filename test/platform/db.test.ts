import { PassThrough } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { createDb, DbError, waitForDatabase } from '../../apps/backend/src/platform/db.js';
import { createTestDatabase } from '../helpers/db.js';

t.test('platform/db against a real PostgreSQL', async (t) => {
  const database = await createTestDatabase({ template: false });
  t.teardown(() => database.drop());
  const lines: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) =>
    c
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((l) => lines.push(JSON.parse(l))),
  );
  const db = createDb({
    connectionString: database.url,
    max: 4,
    statementTimeoutMs: 300,
    idleTimeoutMs: 5_000,
    connectTimeoutMs: 2_000,
    applicationName: 'acolhe-db-test',
    slowQueryMs: 50,
    log: pino({ level: 'info' }, stream),
  });
  t.teardown(() => db.close());
  await db.execute({
    text: `CREATE TABLE things (
             id int PRIMARY KEY,
             name text NOT NULL CONSTRAINT things_name_key UNIQUE,
             qty int NOT NULL CONSTRAINT things_qty_check CHECK (qty >= 0))`,
  });

  await t.test('row-count helpers', async (t) => {
    await db.execute({ text: "INSERT INTO things VALUES (1, 'a', 1), (2, 'b', 2)" });
    t.same(await db.one({ text: 'SELECT name FROM things WHERE id = $1', values: [1] }), { name: 'a' });
    t.equal(await db.maybeOne({ text: 'SELECT name FROM things WHERE id = $1', values: [9] }), null);
    await t.rejects(db.one({ text: 'SELECT name FROM things' }), /Expected one row/);
    await t.rejects(db.maybeOne({ text: 'SELECT name FROM things' }), /at most one row/);
    t.equal((await db.many({ text: 'SELECT id FROM things ORDER BY id' })).length, 2);
  });

  await t.test('SQLSTATEs become API errors naming the field, without the driver message', async (t) => {
    const dup = await db.execute({ text: "INSERT INTO things VALUES (3, 'a', 1)" }).catch((e: DbError) => e);
    t.match(dup, {
      status: 409,
      code: 'already_exists',
      pgCode: '23505',
      constraint: 'things_name_key',
      errors: [{ path: 'body.name' }],
    });
    t.notMatch((dup as Error).message, /duplicate key/);
    const check = await db.execute({ text: "INSERT INTO things VALUES (4, 'd', -1)" }).catch((e: DbError) => e);
    t.match(check, { status: 422, code: 'check_violation', errors: [{ path: 'body.qty' }] });
    const notNull = await db.execute({ text: 'INSERT INTO things (id, qty) VALUES (5, 1)' }).catch((e: DbError) => e);
    t.match(notNull, { status: 422, errors: [{ path: 'body.name' }] });
    t.match(await db.one({ text: 'SELECT $1::int AS n', values: ['x'] }).catch((e: DbError) => e), {
      status: 400,
      pgCode: '22P02',
    });
    t.match(
      await db.one({ text: 'SELECT pg_sleep(1)' }).catch((e: DbError) => e),
      { status: 503, pgCode: '57014' },
      'statement timeout',
    );
  });

  await t.test('slow queries are logged with name and duration, never parameters', async (t) => {
    await db.one({ name: 'slow-one', text: 'SELECT pg_sleep(0.1), $1::text AS secret', values: ['cpf-12345678909'] });
    const slow = lines.find((l) => l.msg === 'slow query' && l.statement === 'slow-one');
    t.ok(slow, 'logged');
    t.ok(Number(slow?.duration_ms) >= 50);
    t.notOk(JSON.stringify(lines).includes('cpf-12345678909'), 'no parameter values');
    t.ok(db.stats().slowQueries >= 1);
  });

  await t.test('transaction commits, rolls back, releases its client, sets the acting user', async (t) => {
    const user = await db.transaction(
      async (tx) => (await db.one<{ u: string }>({ text: "SELECT current_setting('app.user_id', true) AS u" }, tx)).u,
      { userId: 42 },
    );
    t.equal(user, '42');
    await t.rejects(
      db.transaction(async (tx) => {
        await db.execute({ text: "INSERT INTO things VALUES (10, 'tx', 1)" }, tx);
        throw new Error('abort');
      }),
      /abort/,
    );
    t.equal(await db.maybeOne({ text: 'SELECT 1 FROM things WHERE id = 10' }), null, 'rolled back');
    await Promise.all(
      Array.from({ length: 12 }, () => db.transaction(async (tx) => db.one({ text: 'SELECT 1 AS x' }, tx))),
    );
    t.equal(db.stats().waiting, 0, 'no client leaked: 12 transactions through a pool of 4');
  });

  await t.test('serialization failures are retried a bounded number of times', async (t) => {
    let attempts = 0;
    const result = await db.transaction(
      async (tx) => {
        attempts++;
        await db.one({ text: 'SELECT 1 AS x' }, tx);
        // What db.run raises for SQLSTATE 40001 (a serialization failure under concurrency).
        if (attempts < 3) throw new DbError(503, 'concurrency_conflict', 'x', '40001', undefined);
        return 'done';
      },
      { isolation: 'serializable' },
    );
    t.equal(result, 'done');
    t.equal(attempts, 3);
    attempts = 0;
    await t.rejects(
      db.transaction(
        async () => {
          attempts++;
          throw new DbError(503, 'concurrency_conflict', 'x', '40P01', undefined);
        },
        { maxAttempts: 2 },
      ),
      { message: 'x' },
    );
    t.equal(attempts, 2, 'gives up after maxAttempts');
  });

  await t.test('waitForDatabase waits with backoff and says what for', async (t) => {
    const said: string[] = [];
    const dead = new URL(database.url);
    dead.port = '1';
    await t.rejects(
      waitForDatabase(dead.toString(), { maxWaitMs: 600, log: (m) => said.push(m), connectTimeoutMs: 200 }),
      /still unreachable/,
    );
    t.ok(said.length >= 1);
    t.match(said[0], /waiting for database 127\.0\.0\.1:1\/t_/);
    t.notMatch(said.join('\n'), new RegExp(new URL(database.url).password || 'no-password-to-leak'));
    await waitForDatabase(database.url, { maxWaitMs: 2_000, log: () => {} });
  });
});
