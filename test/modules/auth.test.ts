import { createHmac } from 'node:crypto';
import t from 'tap';
import { buildTestApp, TEST_JWT_SECRET, type TestContext } from '../helpers/app.js';
import { admin, bearer, login, userWith } from '../helpers/auth.js';
import { startPrivateRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const sign = (header: object, payload: object, secret: string) => {
  const data = `${b64(header)}.${b64(payload)}`;
  return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
};
const me = (ctx: TestContext, token: string) =>
  ctx.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(token) });

t.test('login, me, and the same answer for unknown e-mail and wrong password', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await userWith(ctx, ['beneficiaries:read']);
  t.equal(u.access_token.split('.').length, 3);
  const res = await me(ctx, u.access_token);
  t.equal(res.statusCode, 200);
  t.match(res.json(), { id: u.id, email: u.email, permissions: ['beneficiaries:read'] });

  const wrong = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: u.email, password: 'wrong-password-123' },
  });
  const unknown = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: 'nobody@acolhe.test', password: 'wrong-password-123' },
  });
  t.equal(wrong.statusCode, 401);
  t.equal(unknown.statusCode, 401);
  const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
  t.same(strip(wrong.json()), strip(unknown.json()), 'identical bodies');

  const row = await ctx.db.one<{ last_login_at: Date | null; password_hash: string }>({
    text: 'SELECT last_login_at, password_hash FROM users WHERE id = $1',
    values: [u.id],
  });
  t.ok(row.last_login_at, 'last_login_at recorded');
  t.match(row.password_hash, /^\$argon2id\$/);
});

t.test('forged, tampered and expired access tokens are refused', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await userWith(ctx, []);
  const [, payloadPart] = u.access_token.split('.');
  const claims = JSON.parse(Buffer.from(payloadPart!, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, string][] = [
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    ['foreign signature', sign({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-that-is-long-enough-to-sign')],
    [
      'tampered payload',
      `${u.access_token.split('.')[0]}.${b64({ ...claims, role: 'admin' })}.${u.access_token.split('.')[2]}`,
    ],
    ['expired', sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 2000, exp: now - 1000 }, TEST_JWT_SECRET)],
    ['wrong audience', sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'someone-else' }, TEST_JWT_SECRET)],
    ['garbage', 'not-a-token'],
  ];
  for (const [name, token] of cases) {
    const res = await me(ctx, token);
    t.equal(res.statusCode, 401, name);
  }
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/me' })).statusCode, 401, 'no token');
  t.equal((await me(ctx, u.access_token)).statusCode, 200, 'the genuine token still works');

  // Verified tokens are remembered until they expire, never longer.
  const exp = Math.floor(Date.now() / 1000) + 3;
  const shortLived = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: exp - 3, exp }, TEST_JWT_SECRET);
  t.equal((await me(ctx, shortLived)).statusCode, 200, 'a token about to expire works');
  t.equal((await me(ctx, shortLived)).statusCode, 200, 'twice (the second time from the verified-token cache)');
  const refused = await waitFor(async () => (await me(ctx, shortLived)).statusCode === 401 && Date.now(), {
    timeout: 15_000,
    what: 'the short-lived token being refused',
  });
  t.ok(refused >= exp * 1000, 'and is refused once expired (not before), cache or not');
});

t.test('refresh rotates; a rotated token is tolerated in the grace window, then revokes the session', async (t) => {
  const ctx = await buildTestApp(t, { env: { REFRESH_REUSE_GRACE_SECONDS: '1' } });
  const u = await userWith(ctx, []);
  const refresh = (token: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });

  const first = await refresh(u.refresh_token);
  t.equal(first.statusCode, 200);
  const pair = first.json();
  t.not(pair.refresh_token, u.refresh_token);
  t.equal((await me(ctx, pair.access_token)).statusCode, 200);

  const inGrace = await refresh(u.refresh_token);
  t.equal(inGrace.statusCode, 409, 'a second tab refreshing at once');
  t.equal(inGrace.json().code, 'refresh_token_superseded');
  t.equal((await me(ctx, pair.access_token)).statusCode, 200, 'the session lives on');

  // Presented again until the grace window has passed: 409 inside it (no harm done), then the reuse answer.
  const reuse = await waitFor(
    async () => {
      const res = await refresh(u.refresh_token);
      return res.statusCode !== 409 && res;
    },
    { timeout: 15_000, interval: 100, what: 'the end of the grace window' },
  );
  t.equal(reuse.statusCode, 401, 'reuse after the grace window');
  t.equal((await me(ctx, pair.access_token)).statusCode, 401, 'the whole session is revoked');
  t.equal((await refresh(pair.refresh_token)).statusCode, 401, 'the newest refresh token dies with it');
  t.equal((await refresh('made-up-token')).statusCode, 401);
});

t.test('logout, logout-all, sessions list and deleting a session take effect on the next request', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await userWith(ctx, []);
  const second = await login(ctx, u.email, u.password, { 'user-agent': 'second-browser' });
  const third = await login(ctx, u.email, u.password);

  const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: u.headers });
  t.equal(list.statusCode, 200);
  const sessions = list.json().data as { id: string; current: boolean; user_agent: string | null; ip: string }[];
  t.equal(sessions.length, 3);
  t.equal(sessions.filter((s) => s.current).length, 1);
  t.ok(sessions.some((s) => s.user_agent === 'second-browser'));
  t.ok(sessions.every((s) => s.ip === '127.0.0.1'));

  const secondId = (await me(ctx, second.access_token)).json().session_id as string;
  const del = await ctx.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${secondId}`, headers: u.headers });
  t.equal(del.statusCode, 204);
  t.equal((await me(ctx, second.access_token)).statusCode, 401, 'deleted session is dead');
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${secondId}`, headers: u.headers }))
      .statusCode,
    404,
  );

  const other = await userWith(ctx, []);
  const otherSid = (await me(ctx, other.access_token)).json().session_id as string;
  t.equal(
    (await ctx.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${otherSid}`, headers: u.headers }))
      .statusCode,
    404,
    "cannot end someone else's session",
  );
  t.equal((await me(ctx, other.access_token)).statusCode, 200);

  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(third.access_token) }))
      .statusCode,
    204,
  );
  t.equal((await me(ctx, third.access_token)).statusCode, 401, 'logged-out session is dead');
  t.equal((await me(ctx, u.access_token)).statusCode, 200, 'other sessions live');

  const fourth = await login(ctx, u.email, u.password);
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: u.headers })).statusCode,
    204,
  );
  t.equal((await me(ctx, u.access_token)).statusCode, 401);
  t.equal((await me(ctx, fourth.access_token)).statusCode, 401, 'every session ends');
});

t.test('deactivation ends access on the very next request', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  const u = await userWith(ctx, ['beneficiaries:read']);
  t.equal((await me(ctx, u.access_token)).statusCode, 200, 'cached as active');
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/users/${u.id}/deactivate`, headers: a.headers });
  t.equal(res.statusCode, 200);
  t.equal(res.json().active, false);
  t.equal((await me(ctx, u.access_token)).statusCode, 401);
  const again = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: u.email, password: u.password },
  });
  t.equal(again.statusCode, 401, 'cannot sign in while inactive');
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: `/api/v1/users/${a.id}/deactivate`, headers: a.headers })).statusCode,
    409,
    'not yourself',
  );
});

t.test('changing the password keeps this session and ends the others', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await userWith(ctx, []);
  const other = await login(ctx, u.email, u.password);
  const change = (body: object) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/me/password', headers: u.headers, payload: body });

  t.equal(
    (await change({ current_password: 'wrong-password-1', new_password: 'A-brand-new-passphrase' })).statusCode,
    422,
  );
  const weak = await change({ current_password: u.password, new_password: 'password123' });
  t.equal(weak.statusCode, 422);
  t.match(weak.json(), { errors: [{ path: 'body.new_password', message: 'is too common' }] });
  t.equal((await change({ current_password: u.password, new_password: 'short' })).statusCode, 422);
  t.equal((await change({ current_password: u.password, new_password: u.email })).statusCode, 422, 'not the e-mail');
  t.equal(
    (await change({ current_password: u.password, new_password: 'A-brand-new-passphrase', role: 'admin' })).statusCode,
    400,
    'no extra fields',
  );

  t.equal((await change({ current_password: u.password, new_password: 'A-brand-new-passphrase' })).statusCode, 204);
  t.equal((await me(ctx, u.access_token)).statusCode, 200, 'this session stays');
  t.equal((await me(ctx, other.access_token)).statusCode, 401, 'other sessions end');
  await login(ctx, u.email, 'A-brand-new-passphrase');
});

t.test('password reset: always 202, single use, expiring, ends every session', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await userWith(ctx, []);
  const request = (email: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email } });
  const confirm = (token: string, password: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token, new_password: password },
    });
  const waitForMail = (n: number) => waitFor(() => ctx.mails.length >= n, { what: `mail ${n}` });

  t.equal((await request('nobody@acolhe.test')).statusCode, 202);
  t.equal((await request(u.email)).statusCode, 202);
  await waitForMail(1);
  t.equal(ctx.mails.length, 1, 'only the known e-mail gets a message');
  const token = new URL(ctx.mails[0]!.link).searchParams.get('token')!;
  t.ok(token.length >= 32);

  t.equal((await confirm(token, 'password123')).statusCode, 422, 'policy applies');
  t.equal((await confirm(token, 'Reset-passphrase-2026')).statusCode, 204, 'a refused attempt does not burn the token');
  t.equal((await me(ctx, u.access_token)).statusCode, 401, 'all sessions revoked');
  t.equal((await confirm(token, 'Another-passphrase-2026')).statusCode, 400, 'single use');
  await login(ctx, u.email, 'Reset-passphrase-2026');

  t.equal((await request(u.email)).statusCode, 202);
  await waitForMail(2);
  const token3 = new URL(ctx.mails[1]!.link).searchParams.get('token')!;
  await ctx.db.execute({
    text: "UPDATE password_resets SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE used_at IS NULL",
  });
  t.equal((await confirm(token3, 'Expired-passphrase-2026')).statusCode, 400, 'expired');
});

t.test('brute force is throttled with Retry-After', async (t) => {
  const ctx = await buildTestApp(t, { env: { LOGIN_MAX_ATTEMPTS: '3' } });
  const u = await userWith(ctx, []);
  const attempt = (password: string) =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password } });
  for (let i = 0; i < 3; i++) t.equal((await attempt('wrong-password-x')).statusCode, 401);
  const blocked = await attempt(u.password);
  t.equal(blocked.statusCode, 429, 'even the right password waits');
  t.ok(Number(blocked.headers['retry-after']) > 0);
  t.ok(ctx.redis && (await ctx.redis.exists(`ratelimit:login:email:${u.email}`)), 'counted in Redis');
});

t.test('privilege escalation is refused', async (t) => {
  const ctx = await buildTestApp(t);
  const manager = await userWith(ctx, ['users:manage', 'beneficiaries:read']);
  const create = (role: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: manager.headers,
      payload: { email: `new-${role}@acolhe.test`, name: 'New', role, password: 'A-long-enough-passphrase' },
    });
  t.equal((await create('admin')).statusCode, 403, 'cannot grant a stronger role');
  t.equal((await create('viewer')).statusCode, 403, 'viewer holds permissions the manager lacks');
  t.equal((await create('no_such_role')).statusCode, 422);

  const self = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/users/${manager.id}`,
    headers: manager.headers,
    payload: { role: 'admin' },
  });
  t.equal(self.statusCode, 403, 'cannot change own role');

  const a = await admin(ctx);
  const selfAdmin = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/users/${a.id}`,
    headers: a.headers,
    payload: { role: 'viewer' },
  });
  t.equal(selfAdmin.statusCode, 403, 'not even an admin');

  const role = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/roles',
    headers: manager.headers,
    payload: { name: 'sneaky', permissions: ['ops:read'] },
  });
  t.equal(role.statusCode, 403, 'roles:manage needed');

  const roleManager = await userWith(ctx, ['roles:manage', 'roles:read']);
  const grant = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/roles',
    headers: roleManager.headers,
    payload: { name: 'sneaky', permissions: ['ops:read'] },
  });
  t.equal(grant.statusCode, 403, 'cannot put permissions one lacks into a role');

  const viewer = await userWith(ctx, { role: 'viewer' });
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: viewer.headers })).statusCode, 403);
});

t.test('role permission changes apply on the next request', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  const created = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/roles',
    headers: a.headers,
    payload: { name: 'staff_admin', description: 'x', permissions: ['users:manage'] },
  });
  t.equal(created.statusCode, 201);
  t.same(created.json().permissions, ['users:manage']);
  const u = await userWith(ctx, { role: 'staff_admin' });
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: u.headers })).statusCode,
    200,
    'allowed and now cached',
  );
  const put = await ctx.app.inject({
    method: 'PUT',
    url: '/api/v1/roles/staff_admin/permissions',
    headers: a.headers,
    payload: { permissions: ['roles:read'] },
  });
  t.equal(put.statusCode, 200);
  t.same(put.json().permissions, ['roles:read']);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: u.headers })).statusCode,
    403,
    'revoked at once',
  );
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/roles', headers: u.headers })).statusCode, 200);
  const perms = await ctx.app.inject({ method: 'GET', url: '/api/v1/permissions', headers: u.headers });
  t.ok(perms.json().data.some((p: { name: string }) => p.name === 'beneficiaries:read_sensitive'));
  const bad = await ctx.app.inject({
    method: 'PUT',
    url: '/api/v1/roles/staff_admin/permissions',
    headers: a.headers,
    payload: { permissions: ['made:up'] },
  });
  t.equal(bad.statusCode, 422);
  t.equal(
    (
      await ctx.app.inject({
        method: 'PUT',
        url: '/api/v1/roles/nope/permissions',
        headers: a.headers,
        payload: { permissions: [] },
      })
    ).statusCode,
    404,
  );
});

t.test('users: search with literal text and keyset pages', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  for (const name of ['Ana Souza', 'Ângela Lima', 'Beatriz 100%_off', 'Carla Dias']) {
    const r = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: a.headers,
      payload: {
        email: `${name.split(' ')[0]!.normalize('NFD').replace(/\W/g, '').toLowerCase()}@acolhe.test`,
        name,
        role: 'viewer',
        password: 'A-long-enough-passphrase',
      },
    });
    t.equal(r.statusCode, 201, name);
  }
  const search = async (q: string) =>
    (await ctx.app.inject({ method: 'GET', url: `/api/v1/users?q=${encodeURIComponent(q)}`, headers: a.headers }))
      .json()
      .data.map((u: { name: string }) => u.name);
  t.same(await search('angela'), ['Ângela Lima'], 'accents ignored');
  t.same(await search('100%_'), ['Beatriz 100%_off'], 'wildcards are literal');
  t.same(await search('%'), ['Beatriz 100%_off']);
  t.same(await search("' OR 1=1 --"), [], 'SQL is just text');

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
    const page = (await ctx.app.inject({ method: 'GET', url, headers: a.headers })).json();
    seen.push(...page.data.map((u: { id: string }) => u.id));
    cursor = page.next_cursor;
  } while (cursor);
  t.equal(seen.length, 5, 'admin + 4, each once');
  t.equal(new Set(seen).size, 5);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/users?cursor=%%%', headers: a.headers })).statusCode,
    400,
  );
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/users?cursor=WzEsMl0', headers: a.headers })).statusCode,
    400,
    'wrong arity',
  );
});

t.test('with Redis stopped, sign-in and revocation keep working from PostgreSQL', async (t) => {
  const redis = await startPrivateRedis();
  const ctx = await buildTestApp(t, { redis: redis.url });
  const u = await userWith(ctx, ['users:manage']);
  t.equal((await me(ctx, u.access_token)).statusCode, 200);
  t.ok(
    await ctx.redis!.hget(`sessions:${u.id}`, (await me(ctx, u.access_token)).json().session_id),
    'session cached in Redis',
  );
  await redis.stop();
  t.equal((await me(ctx, u.access_token)).statusCode, 200, 'still authenticated');
  const other = await login(ctx, u.email, u.password);
  t.equal((await me(ctx, other.access_token)).statusCode, 200, 'new sign-in works');
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(other.access_token) }))
      .statusCode,
    204,
  );
  t.equal((await me(ctx, other.access_token)).statusCode, 401, 'revocation holds without Redis');
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: u.headers })).statusCode,
    200,
    'permissions from PostgreSQL',
  );
  const ready = await ctx.app.inject({ method: 'GET', url: '/health/ready' });
  t.equal(ready.statusCode, 200);
  t.equal(ready.json().status, 'degraded');
});

t.test('without Redis at all the API works on PostgreSQL alone', async (t) => {
  const ctx = await buildTestApp(t, { redis: false });
  const u = await userWith(ctx, []);
  t.equal((await me(ctx, u.access_token)).statusCode, 200);
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: u.headers })).statusCode,
    204,
  );
  t.equal((await me(ctx, u.access_token)).statusCode, 401);
});
