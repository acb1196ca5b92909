// scripts/provision-roles.sql on a fresh database: the owner migrates; the application role reads and writes
// rows but cannot run DDL nor write the migration history. Roles are cluster-wide: unique names, dropped after.
import t from 'tap';
import { migrateUp, readStatus, isUpToDate } from '../../apps/backend/src/database/migrator.js';
import { withClient as asRole } from '../../apps/backend/src/database/client.js';
import { provisionedDatabase } from '../helpers/roles.js';

const sqlState = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );

t.test('owner migrates; application role reads and writes rows only', async (t) => {
  const { ownerUrl, appUrl, provision } = await provisionedDatabase(t);
  const { applied } = await migrateUp({ connectionString: ownerUrl });
  t.ok(applied.length > 0, 'the owner applies every migration');

  await asRole(appUrl, async (c) => {
    t.ok(
      isUpToDate(await readStatus({ query: (text, values) => c.query(text, values as unknown[]) })),
      'the app role reads the migration status',
    );
    const denied = {
      'CREATE TABLE': 'CREATE TABLE public.intruder (id int)',
      'CREATE SCHEMA': 'CREATE SCHEMA intruder',
      'CREATE FUNCTION': 'CREATE FUNCTION public.intruder() RETURNS int LANGUAGE sql RETURN 1',
      'DROP TABLE': 'DROP TABLE public.sessions',
      'ALTER TABLE': 'ALTER TABLE public.users ADD COLUMN intruder int',
      'CREATE INDEX': 'CREATE INDEX intruder_idx ON public.users (name)',
      'CREATE TABLE in pgboss': 'CREATE TABLE pgboss.intruder (id int)',
      'a new job queue (a partition)': `SELECT pgboss.create_queue('intruder', '{"policy": "standard"}')`,
      TRUNCATE: 'TRUNCATE public.audit_log',
      'INSERT schema_migrations':
        "INSERT INTO public.schema_migrations (version, name, checksum, execution_ms, applied_by) VALUES ('299901010000', 'x', 'x', 0, 'x')",
      'UPDATE schema_migrations': "UPDATE public.schema_migrations SET checksum = 'x'",
      'DELETE schema_migrations': 'DELETE FROM public.schema_migrations',
    };
    for (const [what, sql] of Object.entries(denied))
      t.equal(await sqlState(c.query(sql)), '42501', `${what} is refused (insufficient_privilege)`);

    await c.query('BEGIN');
    const role = await c.query(
      "INSERT INTO roles (name, description) VALUES ('ops_test_role', 'role test') RETURNING name",
    );
    t.equal(role.rowCount, 1, 'INSERT');
    const user = await c.query<{ id: string }>(
      "INSERT INTO users (email, name, password_hash, role) VALUES ('roles@acolhe.test', 'Roles Test', '$argon2id$placeholder', 'ops_test_role') RETURNING id",
    );
    t.equal(
      (await c.query('UPDATE users SET name = $2 WHERE id = $1', [user.rows[0]!.id, 'Renamed'])).rowCount,
      1,
      'UPDATE',
    );
    t.equal(
      (await c.query<{ name: string }>('SELECT name FROM users WHERE id = $1', [user.rows[0]!.id])).rows[0]!.name,
      'Renamed',
      'SELECT',
    );
    t.equal((await c.query('DELETE FROM users WHERE id = $1', [user.rows[0]!.id])).rowCount, 1, 'DELETE');
    await c.query('COMMIT');
    t.equal(
      await sqlState(c.query('SELECT count(*) FROM public.schema_migrations')),
      'ok',
      'SELECT on schema_migrations',
    );
  });

  await asRole(ownerUrl, async (c) => {
    t.equal(
      await sqlState(
        c.query('CREATE TABLE public.owner_made (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)'),
      ),
      'ok',
      'the owner runs DDL',
    );
  });
  await asRole(appUrl, async (c) => {
    t.equal(
      await sqlState(c.query("INSERT INTO public.owner_made (v) VALUES ('x')")),
      'ok',
      'default privileges reach tables created later (and their sequences)',
    );
    t.equal(await sqlState(c.query('DROP TABLE public.owner_made')), '42501');
  });

  t.equal(provision().status, 0, 'the script is idempotent (and re-runnable after migrations)');
  await asRole(appUrl, async (c) => {
    t.equal(
      await sqlState(c.query('DELETE FROM public.schema_migrations')),
      '42501',
      'history still read-only after a re-run',
    );
    t.equal(await sqlState(c.query('SELECT 1 FROM public.users LIMIT 1')), 'ok');
  });
});
