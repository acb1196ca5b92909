// x-request-id: a caller's id is kept only when it matches the documented pattern (REQUEST_ID in app.ts,
// docs/development.md); anything else is replaced by a generated one in the response header, the problem body
// and every log line of the request.
import t from 'tap';
import { REQUEST_ID } from '../../apps/backend/src/app.js';
import { buildTestApp } from '../helpers/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

t.test('a plain id is kept: header, problem body and logs', async (t) => {
  const ctx = await buildTestApp(t);
  const id = 'client-Req_42.a';
  t.match(id, REQUEST_ID);
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/no-such-route', headers: { 'x-request-id': id } });
  t.equal(res.statusCode, 404);
  t.equal(res.headers['x-request-id'], id);
  t.equal(res.json().request_id, id);
  t.ok(
    ctx.logs().some((l) => l.reqId === id),
    'log lines carry it',
  );
});

t.test('anything else is replaced by a generated id everywhere', async (t) => {
  const ctx = await buildTestApp(t);
  const hostile = [
    `${'a'.repeat(150)} <script>alert(1)</script> ${'b'.repeat(30)}`,
    'with space',
    'x'.repeat(65),
    'line\tbreak',
    'ümlaut',
    '"quoted"',
    '',
  ];
  for (const given of hostile) {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/no-such-route',
      headers: { 'x-request-id': given },
    });
    const label = JSON.stringify(given.slice(0, 20));
    t.equal(res.statusCode, 404, label);
    const id = res.headers['x-request-id'] as string;
    t.match(id, UUID, `${label}: a generated id in the header`);
    t.equal(res.json().request_id, id, `${label}: the same id in the problem body`);
    t.ok(
      ctx.logs().some((l) => l.reqId === id),
      `${label}: the log lines of the request carry the generated id`,
    );
    if (given)
      t.notOk(
        JSON.stringify(ctx.logs()).includes(JSON.stringify(given).slice(1, -1)),
        `${label}: the given value reaches no log line`,
      );
  }
  const ok = await ctx.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': hostile[0]! } });
  t.equal(ok.statusCode, 200);
  t.match(ok.headers['x-request-id'], UUID, 'on successes too');
});
