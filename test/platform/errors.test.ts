import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';

t.test('problem+json for every kind of failure', async (t) => {
  const ctx = await buildTestApp(t, {
    extend: (app) => {
      app.get('/boom', async () => {
        throw new Error('secret internals: connection string postgres://u:p@h/db');
      });
    },
  });
  const { app } = ctx;

  await t.test('validation error lists every failing field with its path', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'not-an-email', extra: 1 },
    });
    t.equal(res.statusCode, 400);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    const body = res.json();
    t.equal(body.code, 'validation_failed');
    t.equal(body.request_id, res.headers['x-request-id']);
    const paths = body.errors.map((e: { path: string }) => e.path).sort();
    t.same(paths, ['body.email', 'body.extra', 'body.password']);
  });

  await t.test('unknown route', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/does-not-exist?x=1' });
    t.equal(res.statusCode, 404);
    t.match(res.json(), { status: 404, code: 'route_not_found', type: 'urn:acolhe:problem:route_not_found' });
  });

  await t.test("helmet's security headers and the request id on successes and failures alike", async (t) => {
    for (const res of [
      await app.inject({ method: 'GET', url: '/health/live' }),
      await app.inject({ method: 'GET', url: '/api/v1/does-not-exist' }),
      await app.inject({ method: 'GET', url: '/boom' }),
    ]) {
      t.equal(res.headers['x-content-type-options'], 'nosniff', `nosniff on ${res.statusCode}`);
      t.match(res.headers['strict-transport-security'], /max-age=\d+/);
      t.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
      t.notOk(res.headers['x-powered-by']);
      t.match(res.headers['x-request-id'], /\S+/);
    }
  });

  await t.test('malformed JSON is a 400, not a 500', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    t.equal(res.statusCode, 400);
  });

  await t.test('a constraint violation becomes a 409 naming the field', async (t) => {
    const a = await admin(ctx);
    const user = { email: 'dup@acolhe.test', name: 'Dup', role: 'viewer', password: 'A-long-enough-passphrase' };
    t.equal(
      (await app.inject({ method: 'POST', url: '/api/v1/users', headers: a.headers, payload: user })).statusCode,
      201,
    );
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: a.headers,
      payload: { ...user, email: 'DUP@acolhe.test' },
    });
    t.equal(res.statusCode, 409);
    t.match(res.json(), { code: 'already_exists', errors: [{ path: 'body.email' }] });
    t.notMatch(res.body, /dup@acolhe\.test/i, 'the duplicate value is not echoed');
  });

  await t.test('a 500 reveals nothing; the log has the stack under the same request id', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-boom-1' } });
    t.equal(res.statusCode, 500);
    const body = res.json();
    t.equal(body.request_id, 'req-boom-1');
    t.notMatch(res.body, /secret internals|postgres:\/\//);
    const logged = ctx.logs().find((l) => l.reqId === 'req-boom-1' && l.level === 50) as
      { err?: { stack?: string } } | undefined;
    t.ok(logged, 'an error line with the request id');
    t.match(logged?.err?.stack, /secret internals/);
  });
});
