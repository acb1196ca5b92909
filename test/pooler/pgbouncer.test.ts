// The API behind a real PgBouncer 1.18 in transaction mode (no protocol-level prepared statements): named
// statements break there and DATABASE_PREPARED_STATEMENTS=false sends them unnamed; 200 concurrent requests
// over 20 client connections share 5 server connections, and the acting user set per transaction never leaks
// from one request to another; the statement_timeout the pooler drops is reported at start.
import pino from 'pino';
import pg from 'pg';
import t, { type Test } from 'tap';
import { createDb, DbError } from '../../apps/backend/src/platform/db.js';
import { buildTestApp } from '../helpers/app.js';
import { admin, userWith } from '../helpers/auth.js';
import { createTestDatabase } from '../helpers/db.js';
import { startPgBouncer } from '../helpers/pgbouncer.js';

/** A fresh test database behind a PgBouncer (transaction mode, `poolSize` server connections), both gone at the end. */
async function databaseBehindPooler(t: Test, poolSize: number) {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const bouncer = await startPgBouncer({ poolSize });
  t.teardown(() => bouncer.stop());
  return { database, bouncer };
}

const dbOptions = (connectionString: string, preparedStatements: boolean) => ({
  connectionString,
  max: 2,
  statementTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  applicationName: 'acolhe-pooler-test',
  slowQueryMs: 10_000,
  log: pino({ level: 'silent' }),
  preparedStatements,
});

t.test(
  'named statements break through a transaction pooler; DATABASE_PREPARED_STATEMENTS=false sends them unnamed',
  async (t) => {
    const { database, bouncer } = await databaseBehindPooler(t, 1);
    const statement = {
      name: 'pooler-probe',
      text: 'SELECT count(*)::int AS n FROM roles WHERE name = $1',
      values: ['admin'],
    };

    // Two client connections, one server connection: a statement prepared by the first is already there for the second.
    const named = createDb(dbOptions(bouncer.url(database.name), true));
    t.teardown(() => named.close());
    const [a, b] = [await named.pool.connect(), await named.pool.connect()];
    try {
      t.same(await named.one(statement, a), { n: 1 });
      const clash = await named.one(statement, b).catch((err: DbError) => err);
      t.equal(
        (clash as DbError).pgCode,
        '42P05',
        'prepared statement "pooler-probe" already exists (on the shared server connection)',
      );
    } finally {
      a.release();
      b.release();
    }

    const unnamed = createDb(dbOptions(bouncer.url(database.name), false));
    t.teardown(() => unnamed.close());
    const [c, d] = [await unnamed.pool.connect(), await unnamed.pool.connect()];
    try {
      for (let i = 0; i < 3; i++) {
        t.same(await unnamed.one(statement, c), { n: 1 });
        t.same(await unnamed.one(statement, d), { n: 1 });
      }
    } finally {
      c.release();
      d.release();
    }
    const seen: string[] = [];
    unnamed.onQuery((e) => seen.push(e.name));
    await unnamed.one(statement);
    t.same(seen, ['pooler-probe'], 'the name still labels the statement in logs and metrics');
  },
);

t.test('200 concurrent requests over 20 client connections sharing 5 server connections', async (t) => {
  const { database, bouncer } = await databaseBehindPooler(t, 5);
  const ctx = await buildTestApp(t, {
    database,
    poolUrl: bouncer.url(database.name),
    env: { DB_POOL_MAX: '20', DATABASE_PREPARED_STATEMENTS: 'false', DIRECT_DATABASE_URL: database.url },
  });
  const users = [await admin(ctx), await userWith(ctx, ['beneficiaries:read', 'beneficiaries:write'])];
  const seed = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/beneficiaries',
    headers: users[0]!.headers,
    payload: { full_name: 'Maria Aparecida Lima' },
  });
  t.equal(seed.statusCode, 201);

  const requests = Array.from({ length: 200 }, (_, i) => {
    const user = users[i % 2]!;
    switch (i % 4) {
      case 0:
      case 1: // a write transaction that sets the acting user for its audit rows
        return ctx.app.inject({
          method: 'POST',
          url: '/api/v1/beneficiaries',
          headers: user.headers,
          payload: { full_name: `Pessoa Concorrente ${i}`, birth_date: '1990-05-17' },
        });
      case 2: // a read-only transaction with a setting of its own (the search threshold)
        return ctx.app.inject({ method: 'GET', url: '/api/v1/beneficiaries?q=Aparecida', headers: user.headers });
      default:
        return ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries/${seed.json().id}`, headers: user.headers });
    }
  });
  const answers = await Promise.all(requests);
  const statuses = answers.map((r) => r.statusCode);
  t.same(
    statuses.filter((s) => s >= 300),
    [],
    'every request answered 2xx',
  );
  t.ok(
    answers
      .filter((_, i) => i % 4 === 2)
      .every((r) => r.json().data.some((b: { id: string }) => b.id === seed.json().id)),
    'every search found the record',
  );

  const pools = (await bouncer.show('SHOW POOLS')).find((p) => p.database === database.name)!;
  const servers = (await bouncer.show('SHOW SERVERS')).filter((s) => s.database === database.name);
  const clients = (await bouncer.show('SHOW CLIENTS')).filter((c) => c.database === database.name);
  t.equal(clients.length, 20, 'the app opened DB_POOL_MAX = 20 client connections to the pooler');
  t.ok(servers.length <= 5, `PgBouncer used ${servers.length} server connections (at most 5)`);
  t.equal(pools.pool_mode, 'transaction');
  const stats = (await bouncer.show('SHOW STATS')).find((s) => s.database === database.name)!;
  t.ok(Number(stats.total_wait_time) > 0, 'clients waited for a server connection: they were multiplexed');
  const direct = new pg.Client({ connectionString: database.adminUrl });
  await direct.connect();
  t.teardown(() => direct.end());
  // The events relay holds its own session on DIRECT_DATABASE_URL (leader lock, LISTEN), beside the pooler.
  const { rows } = await direct.query<{ pooled: number; relay: number }>(
    `SELECT count(*) FILTER (WHERE application_name NOT LIKE '%-relay')::int AS pooled,
            count(*) FILTER (WHERE application_name LIKE '%-relay')::int AS relay
       FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`,
    [database.name],
  );
  t.ok(rows[0]!.pooled <= 5, `${rows[0]!.pooled} server backends for the database through the pooler`);
  t.ok(rows[0]!.relay <= 1, `${rows[0]!.relay} direct session of the events relay`);

  // set_config('app.user_id', …, true) lasts one transaction: each row's audit entry names its own creator.
  const audit = await ctx.db.many<{ created_by: string; user_id: string }>({
    text: `SELECT b.created_by, a.user_id FROM beneficiaries b
             JOIN audit_log a ON a.table_name = 'beneficiaries' AND a.row_id = b.id::text AND a.action = 'insert'
            WHERE b.full_name LIKE 'Pessoa Concorrente %'`,
  });
  t.equal(audit.length, 100);
  t.same(
    audit.filter((r) => r.created_by !== r.user_id),
    [],
    'no audit row carries another request’s acting user',
  );
});

t.test('the statement_timeout a pooler drops is reported at start, until it is set on the database', async (t) => {
  const { database, bouncer } = await databaseBehindPooler(t, 2);
  const env = {
    DB_STATEMENT_TIMEOUT_MS: '15000',
    DATABASE_PREPARED_STATEMENTS: 'false',
    DIRECT_DATABASE_URL: database.url,
  };
  const warned = (logs: Record<string, unknown>[]) =>
    logs.some((l) => String(l.msg).startsWith('statement_timeout through the pooler'));

  const before = await buildTestApp(t, { database, poolUrl: bouncer.url(database.name), env });
  t.ok(warned(before.logs()), 'warned: the pooled connections run without a timeout');
  t.same(await before.db.one({ text: 'SHOW statement_timeout' }), { statement_timeout: '0' });

  const direct = new pg.Client({ connectionString: database.url });
  await direct.connect();
  // The runbook's fix, on the database here (ALTER ROLE in production; the test server's role is shared).
  await direct.query(`ALTER DATABASE ${database.name} SET statement_timeout = 15000`);
  await direct.end();
  await bouncer.stop();
  const fresh = await startPgBouncer({ poolSize: 2 }); // new server connections pick the setting up
  t.teardown(() => fresh.stop());
  const after = await buildTestApp(t, { database, poolUrl: fresh.url(database.name), env });
  t.notOk(warned(after.logs()), 'no warning once the server applies the timeout itself');
});
