// GET /api/v1/admin/database: permission ops:read, full shape, long-running queries, pg_stat_statements.
import t from 'tap';
import pg from 'pg';
import { buildTestApp } from '../helpers/app.js';
import { userWith } from '../helpers/auth.js';
import { waitFor } from '../helpers/wait.js';

t.test('needs ops:read', async (t) => {
  const ctx = await buildTestApp(t);
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/database' })).statusCode, 401);
  const nobody = await userWith(ctx, ['users:manage']);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/database', headers: nobody.headers })).statusCode,
    403,
  );
});

t.test('reports size, tables, indexes, cache, connections, long-running queries and top statements', async (t) => {
  const ctx = await buildTestApp(t);
  const ops = await userWith(ctx, ['ops:read']);
  // A statement running for a while on another connection, as the long-running query to find.
  const sleeper = new pg.Client({ connectionString: ctx.database.url, application_name: 'ops-test-sleeper' });
  await sleeper.connect();
  t.teardown(() => sleeper.end().catch(() => {}));
  const sleeping = sleeper.query('SELECT pg_sleep(30)').catch(() => {});
  await waitFor(
    async () =>
      (
        await ctx.db.many({
          text: `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'
                    AND query_start <= clock_timestamp() - interval '1 second'`,
          values: ['ops-test-sleeper'],
        })
      ).length > 0,
    { timeout: 30_000, interval: 100, what: 'the sleeping statement running for a second' },
  );

  const res = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/admin/database?long_query_seconds=1&limit=5',
    headers: ops.headers,
  });
  t.equal(res.statusCode, 200, res.body);
  const body = res.json();
  t.equal(body.database.name, ctx.database.name);
  t.ok(body.database.size_bytes > 0);
  t.match(body.database.server_version, /^15\./);
  t.ok(body.largest_tables.length > 0 && body.largest_tables.length <= 5);
  t.ok(
    body.largest_tables.some((r: { table: string }) =>
      ['users', 'audit_log', 'roles', 'permissions', 'role_permissions', 'sessions', 'schema_migrations'].includes(
        r.table,
      ),
    ),
  );
  t.ok(body.largest_indexes.length > 0);
  t.ok(Array.isArray(body.unused_indexes));
  t.ok(
    body.cache_hit_ratio.database === null ||
      (body.cache_hit_ratio.database >= 0 && body.cache_hit_ratio.database <= 1),
  );
  t.ok(body.connections.max_connections > 0);
  t.ok(body.connections.by_state.some((c: { state: string }) => c.state === 'active'));
  const long = body.long_running_queries.queries.find(
    (q: { application_name: string }) => q.application_name === 'ops-test-sleeper',
  );
  t.ok(long, 'the sleeping statement is reported');
  t.match(long.query, /pg_sleep/);
  t.ok(long.duration_seconds >= 1);
  t.equal(body.long_running_queries.threshold_seconds, 1);
  // The test template is migrated, so the extension exists on the embedded server (preloaded library).
  t.equal(body.top_statements.available, true, JSON.stringify(body.top_statements));
  t.ok(Array.isArray(body.top_statements.statements));

  await ctx.db.execute({
    text: 'SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
    values: ['ops-test-sleeper'],
  });
  await sleeping;
});

t.test('says plainly when pg_stat_statements is missing', async (t) => {
  const ctx = await buildTestApp(t);
  await ctx.db.execute({ text: 'DROP EXTENSION IF EXISTS pg_stat_statements' });
  const ops = await userWith(ctx, ['ops:read']);
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/database', headers: ops.headers });
  t.equal(res.statusCode, 200);
  t.equal(res.json().top_statements.available, false);
  t.match(res.json().top_statements.reason, /not created/);
});

t.test('pg_stat_statements in any schema: its name is quoted where the SQL is built', async (t) => {
  const ctx = await buildTestApp(t);
  const ops = await userWith(ctx, ['ops:read']);
  // A name no plain identifier check would pass, and that would end the statement if written as is.
  const schema = 'stats "x"; DROP TABLE users; --';
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  await ctx.db.execute({ text: `CREATE SCHEMA ${quoted}` });
  await ctx.db.execute({ text: `ALTER EXTENSION pg_stat_statements SET SCHEMA ${quoted}` });
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/database', headers: ops.headers });
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().top_statements.available, true, JSON.stringify(res.json().top_statements));
  t.ok(Array.isArray(res.json().top_statements.statements));
  t.equal((await ctx.db.many({ text: "SELECT 1 FROM pg_tables WHERE tablename = 'users'" })).length, 1, 'users intact');
});

t.test('rejects a bad querystring', async (t) => {
  const ctx = await buildTestApp(t);
  const ops = await userWith(ctx, ['ops:read']);
  const res = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/admin/database?long_query_seconds=-1',
    headers: ops.headers,
  });
  t.equal(res.statusCode, 400);
});
