// Escalation and lock-out (issue 10, items 1 and 2): a lesser manager cannot take over a stronger account or
// role, and the system never loses its last administrator — through the API, through SQL, and under a race.
import t from 'tap';
import pg from 'pg';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, bearer, login, userWith, type TestUser } from '../helpers/auth.js';

const inject = (
  ctx: TestContext,
  who: TestUser,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  payload?: object,
) => ctx.app.inject({ method, url: `/api/v1${url}`, headers: who.headers, ...(payload ? { payload } : {}) });

/** A second administrator (role admin), signed in. */
const secondAdmin = (ctx: TestContext) => userWith(ctx, { role: 'admin' }, 'Second Admin');

t.test('users:manage alone cannot take over an account whose role holds more', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  const manager = await userWith(ctx, ['users:manage', 'beneficiaries:read']);
  const weaker = await userWith(ctx, ['beneficiaries:read']);

  const attempts: [string, 'PATCH' | 'POST', string, object?][] = [
    ["change the admin's e-mail", 'PATCH', `/users/${a.id}`, { email: 'attacker@evil.test' }],
    ['rename the admin', 'PATCH', `/users/${a.id}`, { name: 'Pwned' }],
    ['demote the admin', 'PATCH', `/users/${a.id}`, { role: weaker.role }],
    ['deactivate the admin', 'POST', `/users/${a.id}/deactivate`],
    ['reactivate the admin', 'POST', `/users/${a.id}/activate`],
    ['promote a weaker user to admin', 'PATCH', `/users/${weaker.id}`, { role: 'admin' }],
  ];
  for (const [what, method, url, body] of attempts) {
    const res = await inject(ctx, manager, method, url, body);
    t.equal(res.statusCode, 403, what);
    t.equal(res.json().code, 'forbidden', what);
  }
  t.match(
    (await inject(ctx, manager, 'PATCH', `/users/${a.id}`, { name: 'x' })).json().detail,
    /ops:read/,
    'names what is missing',
  );
  const row = await ctx.db.one<{ email: string; name: string; role: string; active: boolean }>({
    text: 'SELECT email::text, name, role, active FROM users WHERE id = $1',
    values: [a.id],
  });
  t.same(row, { email: a.email, name: 'Administrator', role: 'admin', active: true }, 'the admin is untouched');

  // Within their own permissions the manager keeps working.
  t.equal((await inject(ctx, manager, 'PATCH', `/users/${weaker.id}`, { name: 'Renamed' })).statusCode, 200);
  t.equal((await inject(ctx, manager, 'POST', `/users/${weaker.id}/deactivate`)).statusCode, 200);
  t.equal((await inject(ctx, manager, 'POST', `/users/${weaker.id}/activate`)).statusCode, 200);
  t.equal((await inject(ctx, manager, 'PATCH', `/users/${weaker.id}`, { role: manager.role })).statusCode, 200);
  t.equal((await inject(ctx, manager, 'PATCH', `/users/${weaker.id}`, { role: 'no_such_role' })).statusCode, 422);
  t.equal((await inject(ctx, manager, 'PATCH', '/users/999999', { name: 'x' })).statusCode, 404);
});

t.test('roles:manage edits only roles whose permission set, before and after, is within its own', async (t) => {
  const ctx = await buildTestApp(t);
  const roleManager = await userWith(ctx, ['roles:manage', 'roles:read', 'beneficiaries:read']);
  const put = (role: string, permissions: string[]) =>
    inject(ctx, roleManager, 'PUT', `/roles/${role}/permissions`, { permissions });

  const strip = await put('admin', ['roles:read']);
  t.equal(strip.statusCode, 403, 'cannot cut down a stronger role, even to a subset of its own');
  t.match(strip.json().detail, /You cannot edit role admin.*ops:read/);
  t.equal((await put('viewer', ['beneficiaries:read'])).statusCode, 403, 'viewer holds projects:read etc.');
  const perms = await ctx.db.many<{ permission: string }>({
    text: "SELECT permission FROM role_permissions WHERE role = 'admin'",
  });
  t.ok(perms.length > 10, 'admin keeps its permissions');

  const own = await inject(ctx, roleManager, 'POST', '/roles', { name: 'reader', permissions: ['beneficiaries:read'] });
  t.equal(own.statusCode, 201);
  t.equal((await put('reader', ['roles:read', 'beneficiaries:read'])).statusCode, 200, 'within its own: allowed');
  t.equal((await put('reader', ['ops:read'])).statusCode, 403, 'but never beyond');
});

t.test('the last administrator cannot be removed through the API', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  for (const permissions of [[], ['roles:manage', 'roles:read'], ['users:manage']]) {
    const res = await inject(ctx, a, 'PUT', '/roles/admin/permissions', { permissions });
    t.equal(res.statusCode, 409, `admin role → [${permissions.join(', ')}]`);
    t.equal(res.json().code, 'last_administrator');
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  t.equal((await inject(ctx, a, 'GET', '/users')).statusCode, 200, 'the admin still works');

  // A second administrator makes the same change possible; then the first is the last one again.
  const b = await secondAdmin(ctx);
  const other = await inject(ctx, b, 'PATCH', `/users/${a.id}`, { role: 'coordinator' });
  t.equal(other.statusCode, 200, 'with two administrators one may demote the other');
  const last = await inject(ctx, a, 'GET', '/users');
  t.equal(last.statusCode, 401, "the demoted admin's sessions ended");
  const again = await inject(ctx, b, 'PUT', '/roles/admin/permissions', { permissions: ['users:manage'] });
  t.equal(again.statusCode, 409, 'b is now the last administrator');

  // A custom role holding both permissions also counts as an administrator.
  const custom = await inject(ctx, b, 'POST', '/roles', {
    name: 'staff_admin',
    permissions: ['users:manage', 'roles:manage', 'roles:read'],
  });
  t.equal(custom.statusCode, 201);
  t.equal((await inject(ctx, b, 'PATCH', `/users/${a.id}`, { role: 'staff_admin' })).statusCode, 200);
  t.equal(
    (await inject(ctx, b, 'PUT', '/roles/admin/permissions', { permissions: ['users:manage', 'roles:read'] }))
      .statusCode,
    200,
    'staff_admin now keeps the system administrable',
  );
  const tokens = await login(ctx, a.email, a.password);
  const again2 = await inject(
    ctx,
    { ...a, headers: bearer(tokens.access_token) },
    'PUT',
    '/roles/staff_admin/permissions',
    {
      permissions: ['roles:read', 'roles:manage'],
    },
  );
  t.equal(again2.statusCode, 409, 'and cannot lose it in turn');
});

t.test('two administrators deactivating each other at once: exactly one succeeds', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  const b = await secondAdmin(ctx);
  const [ab, ba] = await Promise.all([
    inject(ctx, a, 'POST', `/users/${b.id}/deactivate`),
    inject(ctx, b, 'POST', `/users/${a.id}/deactivate`),
  ]);
  const codes = [ab.statusCode, ba.statusCode].sort();
  // Whichever lost either met the guard (409) or found its own session already ended (401).
  t.equal(codes.filter((c) => c === 200).length, 1, `one succeeded (${codes.join(', ')})`);
  const { n } = await ctx.db.one<{ n: number }>({
    text: "SELECT count(*)::int AS n FROM users WHERE active AND role = 'admin'",
  });
  t.equal(n, 1, 'one administrator remains');
});

t.test('PostgreSQL enforces it: direct SQL, and a race between two transactions', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  const b = await secondAdmin(ctx);
  const connect = async () => {
    const c = new pg.Client({ connectionString: ctx.database.url });
    await c.connect();
    t.teardown(() => c.end());
    return c;
  };
  const c1 = await connect();
  const c2 = await connect();
  const sqlState = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { code?: string; constraint?: string }) => `${e.code} ${e.constraint}`,
    );

  // Each transaction alone is fine (the other administrator remains); both at once must not commit.
  await c1.query('BEGIN');
  await c1.query('UPDATE users SET active = false WHERE id = $1', [b.id]);
  await c2.query('BEGIN');
  const pid2 = (await c2.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const second = sqlState(c2.query('UPDATE users SET active = false WHERE id = $1', [a.id]));
  // The second check waits for the first transaction (a row lock on administrator_guard).
  for (let i = 0; i < 200; i++) {
    const { rows } = await ctx.db.pool.query<{ wait: string | null }>(
      'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
      [pid2],
    );
    if (rows[0]?.wait === 'Lock') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const { rows: waiting } = await ctx.db.pool.query<{ wait: string | null }>(
    'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
    [pid2],
  );
  t.equal(waiting[0]?.wait, 'Lock', 'the second check queues behind the first transaction');
  await c1.query('COMMIT');
  t.equal(await second, '23514 users_last_administrator', 'then sees the committed demotion and refuses');
  await c2.query('ROLLBACK');

  const { n } = await ctx.db.one<{ n: number }>({
    text: "SELECT count(*)::int AS n FROM users WHERE active AND role = 'admin'",
  });
  t.equal(n, 1);
  const GUARD = '23514 users_last_administrator';
  const cases: [string, unknown[], string, string][] = [
    [
      "DELETE FROM role_permissions WHERE role = 'admin' AND permission = 'roles:manage'",
      [],
      GUARD,
      'removing a permission from the role of the last administrator',
    ],
    ["UPDATE users SET role = 'viewer' WHERE id = $1", [a.id], GUARD, 're-roling the last administrator'],
    ['DELETE FROM users WHERE id = $1', [a.id], GUARD, 'deleting the last administrator'],
    ["DELETE FROM permissions WHERE name = 'users:manage'", [], GUARD, 'nor through a cascade'],
    [
      "UPDATE users SET name = 'Still the admin', last_login_at = now() WHERE id = $1",
      [a.id],
      'ok',
      'other changes to an administrator are untouched',
    ],
    ['UPDATE users SET active = false WHERE id <> $1', [a.id], 'ok', 'and so is everyone else'],
  ];
  for (const [sql, values, expected, what] of cases) t.equal(await sqlState(c1.query(sql, values)), expected, what);
});
