// Rate limits (issue 10, item 6): sign-in under concurrency, password reset, refresh, unauthenticated requests;
// shared by instances through Redis, per process (bounded) without it; 429 as problem+json with Retry-After.
import t, { type Test } from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { userWith } from '../helpers/auth.js';
import { startPrivateRedis, testRedisUrl } from '../helpers/redis.js';
import { createRateCounters } from '../../apps/backend/src/platform/rate-limit.js';

const from = (ip: string) => ({ remoteAddress: ip });
const login = (ctx: TestContext, email: string, password: string, ip = '10.1.0.1') =>
  ctx.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, ...from(ip) });
const statuses = (rs: LightMyRequestResponse[]) =>
  rs.reduce<Record<number, number>>((m, r) => ({ ...m, [r.statusCode]: (m[r.statusCode] ?? 0) + 1 }), {});

function isTooMany(t: Test, res: LightMyRequestResponse, what: string) {
  t.equal(res.statusCode, 429, what);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${what}: problem+json`);
  t.equal(res.json().code, 'too_many_requests', `${what}: code`);
  t.ok(Number(res.headers['retry-after']) >= 1, `${what}: Retry-After ${res.headers['retry-after']}`);
}

async function parallelWrongPasswords(t: Test, ctx: TestContext) {
  const u = await userWith(ctx, []);
  const results = await Promise.all(Array.from({ length: 50 }, () => login(ctx, u.email, 'wrong-password-x')));
  t.same(statuses(results), { 401: 5, 429: 45 }, 'exactly the limit gets through');
  isTooMany(
    t,
    results.find((r) => r.statusCode === 429)!,
    'a refused attempt',
  );
  isTooMany(t, await login(ctx, u.email, u.password), 'even the right password waits');
}

const LOGIN5 = { LOGIN_MAX_ATTEMPTS: '5' };

t.test('50 parallel wrong passwords: no more than the limit get through (Redis)', async (t) => {
  const ctx = await buildTestApp(t, { env: LOGIN5 });
  await parallelWrongPasswords(t, ctx);
});

t.test('50 parallel wrong passwords: no more than the limit get through (no Redis)', async (t) => {
  const ctx = await buildTestApp(t, { env: LOGIN5, redis: false });
  await parallelWrongPasswords(t, ctx);
});

t.test('50 parallel wrong passwords: no more than the limit get through (Redis stopped)', async (t) => {
  const redis = await startPrivateRedis();
  const ctx = await buildTestApp(t, { env: LOGIN5, redis: redis.url });
  await redis.stop();
  await parallelWrongPasswords(t, ctx);
});

t.test('two instances share the sign-in limit through Redis', async (t) => {
  const url = (await testRedisUrl())!;
  const one = await buildTestApp(t, { env: { LOGIN_MAX_ATTEMPTS: '4' }, redis: url });
  const two = await buildTestApp(t, { env: { LOGIN_MAX_ATTEMPTS: '4' }, redis: url, database: one.database });
  const u = await userWith(one, []);
  for (const ctx of [one, two, one, two]) t.equal((await login(ctx, u.email, 'wrong-password-x')).statusCode, 401);
  t.equal((await login(two, u.email, u.password)).statusCode, 429, 'the fifth, on either instance');
});

t.test('failures count, successes do not: per e-mail and per client address', async (t) => {
  const ctx = await buildTestApp(t, { env: { LOGIN_MAX_ATTEMPTS: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '5' } });
  const u = await userWith(ctx, []);
  for (let i = 0; i < 2; i++) t.equal((await login(ctx, u.email, 'wrong-password-x')).statusCode, 401);
  t.equal((await login(ctx, u.email, u.password)).statusCode, 200, 'a success within the limit');
  for (let i = 0; i < 2; i++) t.equal((await login(ctx, u.email, 'wrong-password-x')).statusCode, 401, 'forgiven');
  t.equal((await login(ctx, u.email, u.password)).statusCode, 200);
  t.equal(
    await ctx.redis!.get(`ratelimit:login:ip:10.1.0.1`),
    '4',
    'the address counts its four failures, not its two successes',
  );
  t.equal((await login(ctx, 'someone-else@acolhe.test', 'wrong-password-x')).statusCode, 401, 'the fifth failure');
  t.equal((await login(ctx, 'someone-else@acolhe.test', 'wrong-password-x')).statusCode, 429, 'address limit');
  t.equal(
    (await login(ctx, 'someone-else@acolhe.test', 'wrong-password-x', '10.1.0.2')).statusCode,
    401,
    'another client address has its own budget (keyed on request.ip)',
  );
});

t.test('password reset: limited per e-mail and per address; a new request replaces the earlier token', async (t) => {
  const ctx = await buildTestApp(t, { env: { PASSWORD_RESET_MAX_PER_EMAIL: '2', PASSWORD_RESET_MAX_PER_IP: '5' } });
  const u = await userWith(ctx, []);
  const request = (email: string, ip = '10.2.0.1') =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email }, ...from(ip) });
  const waitForMails = async (n: number) => {
    for (let i = 0; i < 200 && ctx.mails.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  };
  const confirm = (link: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token: new URL(link).searchParams.get('token'), new_password: 'A-fresh-passphrase-2026' },
    });

  t.equal((await request(u.email)).statusCode, 202);
  await waitForMails(1);
  t.equal((await request(u.email.toUpperCase())).statusCode, 202, 'the e-mail is counted case-insensitively');
  await waitForMails(2);
  isTooMany(t, await request(u.email), 'third request for the e-mail');
  const { n } = await ctx.db.one<{ n: number }>({
    text: 'SELECT count(*)::int AS n FROM password_resets WHERE user_id = $1',
    values: [u.id],
  });
  t.equal(n, 1, 'one row per user');
  t.equal((await confirm(ctx.mails[0]!.link)).statusCode, 400, 'the earlier link no longer works');
  t.equal((await confirm(ctx.mails[1]!.link)).statusCode, 204, 'the newest one does');

  t.equal((await request('a@acolhe.test')).statusCode, 202);
  t.equal((await request('b@acolhe.test')).statusCode, 202);
  isTooMany(t, await request('c@acolhe.test'), 'sixth request from the address (refused ones count too)');
  t.equal((await request('c@acolhe.test', '10.2.0.2')).statusCode, 202, 'another address');
});

t.test('refresh is limited per client address', async (t) => {
  const ctx = await buildTestApp(t, { env: { REFRESH_MAX_PER_IP: '2' } });
  const u = await userWith(ctx, []);
  const refresh = (token: string, ip = '10.3.0.1') =>
    ctx.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token }, ...from(ip) });
  const first = await refresh(u.refresh_token);
  t.equal(first.statusCode, 200);
  t.equal((await refresh(first.json().refresh_token)).statusCode, 200);
  isTooMany(t, await refresh('whatever'), 'third refresh');
  t.equal((await refresh('whatever', '10.3.0.2')).statusCode, 401, 'another address');
});

t.test('unauthenticated requests per address: probing ends in 429, signed-in requests are not counted', async (t) => {
  const ctx = await buildTestApp(t, { env: { ANONYMOUS_MAX_PER_IP: '4' } });
  const u = await userWith(ctx, ['users:manage']);
  const prober = from('10.4.0.1');
  const probes = await Promise.all(
    ['/api/v1/nope', '/api/v2/x', '/wp-admin', '/api/v1/users'].map((url) =>
      ctx.app.inject({ method: 'GET', url, ...prober }),
    ),
  );
  t.same(statuses(probes), { 404: 3, 401: 1 }, 'unknown routes and a missing token count');
  isTooMany(t, await ctx.app.inject({ method: 'GET', url: '/api/v1/other', ...prober }), 'an unknown route');
  isTooMany(
    t,
    await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: { authorization: 'Bearer forged' },
      ...prober,
    }),
    'a failed authentication',
  );
  isTooMany(t, await login(ctx, u.email, u.password, '10.4.0.1'), 'a public route');
  const signedIn = await ctx.app.inject({ method: 'GET', url: '/api/v1/users', headers: u.headers, ...prober });
  t.equal(signedIn.statusCode, 200, 'a valid token from the same address is not limited');
  t.equal((await ctx.app.inject({ method: 'GET', url: '/health/live', ...prober })).statusCode, 200, 'nor health');
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/nope', ...from('10.4.0.2') })).statusCode, 404);
});

t.test('the OpenAPI document lists 429 on the limited routes', async (t) => {
  const ctx = await buildTestApp(t);
  const doc = (await ctx.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  for (const [path, method] of [
    ['/api/v1/auth/login', 'post'],
    ['/api/v1/auth/refresh', 'post'],
    ['/api/v1/auth/password-reset', 'post'],
    ['/api/v1/auth/password-reset/confirm', 'post'],
    ['/api/v1/users', 'get'],
  ] as const) {
    t.ok(doc.paths[path]?.[method]?.responses['429'], `${method.toUpperCase()} ${path} documents 429`);
  }
});

t.test('without Redis the counters of a process stay bounded', async (t) => {
  const counters = createRateCounters(null, 3);
  for (let i = 0; i < 10; i++) await counters.hit('probe', `10.5.0.${i}`, 60_000);
  t.equal(counters.localSize(), 3, 'the oldest keys make room');
  t.equal((await counters.hit('probe', '10.5.0.9', 60_000)).current, 2, 'recent keys keep counting');
  t.equal((await counters.hit('probe', '10.5.0.0', 60_000)).current, 1, 'an evicted key starts again');
  await counters.refund('probe', '10.5.0.9');
  t.equal((await counters.hit('probe', '10.5.0.9', 60_000)).current, 2, 'refund gives one back');
  await counters.reset('probe', '10.5.0.9');
  t.equal((await counters.hit('probe', '10.5.0.9', 60_000)).current, 1, 'reset forgets');
  const expired = await counters.hit('short', 'x', 1);
  await new Promise((r) => setTimeout(r, 5));
  t.equal((await counters.hit('short', 'x', 1)).current, 1, `a window ends (was ${expired.current})`);
});
