// The log: one access line per request, and secrets (bearer tokens, passwords, reset and refresh tokens) kept out
// of it by construction, at every level, including error lines that carry the request.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin, bearer, login, userWith } from '../helpers/auth.js';

t.test('secrets never reach the log', async (t) => {
  const ctx = await buildTestApp(t, {
    extend: (a) =>
      a.post('/echo-log', async (req) => {
        // What a careless handler might do: log the whole request.
        req.log.info({ headers: req.headers, body: req.body }, 'incoming');
        return { ok: true };
      }),
  });
  const token = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.signature-value-xyz';
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/echo-log?token=query-secret-123',
    headers: { authorization: `Bearer ${token}`, cookie: 'sid=cookie-secret-456' },
    payload: { password: 'hunter2-password', nested: { refresh_token: 'refresh-secret-789' } },
  });
  t.equal(res.statusCode, 200);
  const all = JSON.stringify(ctx.logs());
  t.match(all, /incoming/, 'the line was logged');
  for (const secret of [token, 'query-secret-123', 'cookie-secret-456', 'hunter2-password', 'refresh-secret-789']) {
    t.notOk(all.includes(secret), `log does not contain ${secret.slice(0, 12)}…`);
  }
  const lines = ctx.logs().filter((l) => l.msg === 'incoming' || l.msg === 'request completed');
  t.equal(lines.length, 2, "the handler's line and one access line");
  t.ok(
    lines.every((l) => l.reqId === res.headers['x-request-id']),
    'every line of the request carries its request id',
  );
  const incoming = lines.find((l) => l.msg === 'incoming')!;
  t.equal(incoming.headers, '[omitted]', 'headers are never copied into a line');
  t.equal(incoming.body, '[omitted]', 'bodies are never copied into a line');
});

t.test('one access line per request: method, route pattern, status, duration, request id, user id', async (t) => {
  const ctx = await buildTestApp(t);
  const user = await userWith(ctx, ['beneficiaries:read']);
  const linesOf = (id: unknown) => ctx.logs().filter((l) => l.reqId === id);

  const me = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/me?x=1', headers: user.headers });
  t.equal(me.statusCode, 200);
  const [line, ...more] = linesOf(me.headers['x-request-id']);
  t.equal(more.length, 0, 'a successful request writes exactly one line');
  t.match(line, {
    msg: 'request completed',
    level: 30,
    method: 'GET',
    route: '/api/v1/auth/me',
    status: 200,
    duration_ms: Number,
    user_id: user.id,
  });
  t.notOk('url' in line!, 'a matched route is logged by its pattern, not its URL');

  const byId = await ctx.app.inject({ method: 'GET', url: '/api/v1/beneficiaries/999999', headers: user.headers });
  t.equal(byId.statusCode, 404);
  const [notFound, ...extra] = linesOf(byId.headers['x-request-id']);
  t.equal(extra.length, 0, 'a client error is told by the access line alone');
  t.match(notFound, { route: '/api/v1/beneficiaries/:id', status: 404, code: 'not_found', user_id: user.id });

  const unmatched = await ctx.app.inject({ method: 'GET', url: '/nowhere/at/all?token=query-secret-1' });
  t.match(linesOf(unmatched.headers['x-request-id']), [
    { route: null, url: '/nowhere/at/all', status: 404, code: 'route_not_found', user_id: null },
  ]);
  t.notOk(JSON.stringify(ctx.logs()).includes('query-secret-1'), 'the query string is never logged');

  const anonymous = await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
  t.match(linesOf(anonymous.headers['x-request-id']), [{ status: 401, code: 'unauthorized', user_id: null }]);
});

t.test('secrets stay out at every level, including error lines with the request', async (t) => {
  const secrets = {
    bearer: 'eyJhbGciOiJIUzI1NiJ9.dHJhY2UtbGV2ZWw.trace-signature-abc',
    password: 'Trace-level-password-4711',
    resetToken: 'reset-token-value-0815',
  };
  const ctx = await buildTestApp(t, {
    env: { LOG_LEVEL: 'trace' },
    extend: (a) => {
      // A handler logging secrets under their own names, at every level.
      a.post('/log-secrets', async (req) => {
        const { password, token } = req.body as { password: string; token: string };
        for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)
          req.log[level]({ password, token, authorization: req.headers.authorization, refresh_token: token }, level);
        return { ok: true };
      });
      // A failure whose error carries the request, as library errors do (an HTTP client's error keeps its config).
      a.post('/fail', async (req) => {
        throw Object.assign(new Error('upstream call failed'), {
          config: { headers: req.headers, data: req.body },
          request: req.raw,
          body: req.body,
        });
      });
    },
  });
  const a = await admin(ctx);

  const logged = await ctx.app.inject({
    method: 'POST',
    url: '/log-secrets',
    headers: bearer(secrets.bearer),
    payload: { password: secrets.password, token: secrets.resetToken },
  });
  t.equal(logged.statusCode, 200);
  const failed = await ctx.app.inject({
    method: 'POST',
    url: '/fail?token=query-reset-token',
    headers: { ...bearer(secrets.bearer), 'x-request-id': 'req-fail-1' },
    payload: { password: secrets.password, token: secrets.resetToken },
  });
  t.equal(failed.statusCode, 500);

  // The real routes that carry secrets, at trace level: login, bearer use, password change, reset, refresh.
  const user = await userWith(ctx, { role: 'viewer' });
  await ctx.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: a.headers });
  const changed = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/me/password',
    headers: user.headers,
    payload: { current_password: user.password, new_password: secrets.password },
  });
  t.equal(changed.statusCode, 204);
  const tokens = await login(ctx, user.email, secrets.password);
  const refreshed = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: tokens.refresh_token },
  });
  t.equal(refreshed.statusCode, 200);
  await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: user.email } });
  for (let i = 0; i < 50 && ctx.mails.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const resetToken = new URL(ctx.mails[0]!.link).searchParams.get('token')!;
  t.ok(resetToken, 'a reset link was sent');
  const reset = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/auth/password-reset/confirm',
    payload: { token: resetToken, new_password: `${secrets.password}-2` },
  });
  t.equal(reset.statusCode, 204);

  const lines = ctx.logs();
  t.ok(
    lines.some((l) => l.level === 10),
    'trace lines were written',
  );
  const all = JSON.stringify(lines);
  for (const secret of [
    secrets.bearer,
    secrets.password,
    secrets.resetToken,
    'query-reset-token',
    a.access_token,
    user.access_token,
    tokens.access_token,
    tokens.refresh_token,
    (refreshed.json() as { refresh_token: string }).refresh_token,
    resetToken,
    user.password,
  ]) {
    t.notOk(all.includes(secret), `no line holds ${secret.slice(0, 10)}…`);
  }
  const errorLine = lines.find((l) => l.reqId === 'req-fail-1' && l.level === 50) as
    { err: Record<string, unknown>; req: Record<string, unknown> } | undefined;
  t.ok(errorLine, 'the failure has its error line under the request id');
  if (!errorLine) return;
  t.match(errorLine.err, { type: 'Error', message: 'upstream call failed', stack: /upstream call failed/ });
  t.same(Object.keys(errorLine.err).sort(), ['message', 'stack', 'type'], 'nothing else of the error is copied');
  t.match(errorLine.req, { method: 'POST', route: '/fail', url: '/fail', request_id: 'req-fail-1' });
  t.same(
    lines.filter((l) => l.msg === 'trace' || l.msg === 'fatal').map((l) => [l.password, l.token, l.authorization]),
    [
      ['[redacted]', '[redacted]', '[redacted]'],
      ['[redacted]', '[redacted]', '[redacted]'],
    ],
    'secret keys are redacted wherever they are logged',
  );
});
