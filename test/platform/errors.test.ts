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

  await t.test('a wrong method on a known path: 405 with Allow, as problem+json', async (t) => {
    for (const [method, url, allow] of [
      ['DELETE', '/api/v1/users', 'GET, HEAD, POST'],
      ['PUT', '/api/v1/users/5', 'GET, HEAD, PATCH'],
      ['GET', '/api/v1/auth/login', 'POST'],
      ['POST', '/health/live', 'GET, HEAD'],
      ['OPTIONS', '/api/v1/beneficiaries/7/archive', 'POST'],
    ] as const) {
      const res = await app.inject({ method, url, headers: { 'x-request-id': 'req-405' } });
      t.equal(res.statusCode, 405, `${method} ${url}`);
      t.equal(res.headers.allow, allow, `${method} ${url}: Allow`);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.match(res.json(), {
        type: 'urn:acolhe:problem:method_not_allowed',
        title: 'Method Not Allowed',
        status: 405,
        code: 'method_not_allowed',
        request_id: 'req-405',
      });
    }
    const unknown = await app.inject({ method: 'DELETE', url: '/api/v1/nothing-here/5' });
    t.equal(unknown.statusCode, 404, 'an unknown path stays a 404');
    t.notOk(unknown.headers.allow);
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

t.test('with CORS on, preflight answers every known path and Allow lists OPTIONS', async (t) => {
  const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://app.example' } });
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/users',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
  });
  t.equal(preflight.statusCode, 204);
  t.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
  const wrong = await app.inject({ method: 'DELETE', url: '/api/v1/users' });
  t.equal(wrong.statusCode, 405);
  t.equal(wrong.headers.allow, 'GET, HEAD, OPTIONS, POST');
});
