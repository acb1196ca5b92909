// Data-subject requests (issue 16): due 15 days after the day of receipt in the organisation's calendar,
// progressed received → in_progress → completed | refused (also held by the database), overdue ones in a list
// filter and a metric, only for privacy:manage.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { refusal } from '../helpers/db-rules.js';
import { newBeneficiary } from './case-fixtures.js';

const post = (ctx: TestContext, u: TestUser, payload: Record<string, unknown>) =>
  ctx.app.inject({ method: 'POST', url: '/api/v1/privacy/requests', headers: u.headers, payload });
const patch = (ctx: TestContext, u: TestUser, id: string, payload: Record<string, unknown>) =>
  ctx.app.inject({ method: 'PATCH', url: `/api/v1/privacy/requests/${id}`, headers: u.headers, payload });
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

t.test('due 15 calendar days after the day of receipt, in ORG_TIMEZONE', async (t) => {
  const ctx = await buildTestApp(t); // ORG_TIMEZONE defaults to America/Sao_Paulo
  const u = await admin(ctx);
  const b = await newBeneficiary(ctx, u, 'Solicitante');
  // 01:30 UTC on the 10th is 22:30 on the 9th in São Paulo: received on the 9th, due on the 24th.
  const late = await post(ctx, u, { beneficiary_id: b, type: 'access', received_at: '2026-03-10T01:30:00Z' });
  t.equal(late.statusCode, 201, late.body);
  t.match(late.json(), {
    beneficiary_id: b,
    type: 'access',
    status: 'received',
    channel: 'in_person',
    received_on: '2026-03-09',
    due_on: '2026-03-24',
    overdue: true,
    handled_by: null,
    version: 1,
  });
  t.equal(late.headers.etag, '"1"');

  const tokyo = await buildTestApp(t, { env: { ORG_TIMEZONE: 'Asia/Tokyo' } });
  const v = await admin(tokyo);
  const c = await newBeneficiary(tokyo, v, 'Solicitante Tóquio');
  const there = await post(tokyo, v, { beneficiary_id: c, type: 'access', received_at: '2026-03-09T16:30:00Z' });
  t.match(there.json(), { received_on: '2026-03-10', due_on: '2026-03-25' }, '01:30 on the 10th in Tokyo');

  const future = await post(ctx, u, { beneficiary_id: b, type: 'access', received_at: '2099-01-01T00:00:00Z' });
  t.equal(future.statusCode, 422);
  t.match(future.json().errors, [{ path: 'body.received_at' }]);
  const nobody = await post(ctx, u, { beneficiary_id: '999999', type: 'access' });
  t.equal(nobody.statusCode, 422);
  t.match(nobody.json().errors, [{ path: 'body.beneficiary_id' }]);
  t.equal((await post(ctx, u, { beneficiary_id: b, type: 'erase_everything' })).statusCode, 400);
  const today = await post(ctx, u, { beneficiary_id: b, type: 'portability', channel: 'email' });
  t.equal(today.json().overdue, false, 'received now: in time');
});

t.test('progress: received → in_progress → completed | refused; nothing else', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const other = await userWith(ctx, ['privacy:manage']);
  const b = await newBeneficiary(ctx, u, 'Pedido em Andamento');
  const id = (await post(ctx, u, { beneficiary_id: b, type: 'correction' })).json().id as string;

  const taken = await patch(ctx, other, id, { status: 'in_progress' });
  t.equal(taken.statusCode, 200);
  t.match(taken.json(), { status: 'in_progress', handled_by: other.id, closed_at: null, version: 2 });
  t.equal((await patch(ctx, u, id, { notes: 'x', version: 1 })).statusCode, 412, 'a stale version');
  const handed = await patch(ctx, u, id, { handled_by: u.id, notes: 'Endereço corrigido no cadastro' });
  t.match(handed.json(), { status: 'in_progress', handled_by: u.id, notes: 'Endereço corrigido no cadastro' });
  const refusedWithout = await patch(ctx, u, id, { status: 'refused' });
  t.equal(refusedWithout.statusCode, 422, 'a refusal states its reason');
  t.match(refusedWithout.json().errors, [{ path: 'body.notes' }]);
  const done = await patch(ctx, u, id, { status: 'completed' });
  t.equal(done.statusCode, 200);
  t.match(done.json(), { status: 'completed', closed_at: String });
  const reopen = await patch(ctx, u, id, { status: 'in_progress' });
  t.equal(reopen.statusCode, 409);
  t.equal(reopen.json().code, 'invalid_transition');
  t.match(
    await refusal(ctx, "UPDATE data_requests SET status = 'received', closed_at = NULL WHERE id = $1", [id]),
    { status: 422, constraint: 'data_requests_status_check' },
    'the database holds the rule too',
  );
  t.match(
    await refusal(ctx, "INSERT INTO data_requests (beneficiary_id, type, status) VALUES ($1, 'access', 'completed')", [
      b,
    ]),
    { constraint: 'data_requests_status_check' },
    'a request starts received',
  );

  const second = (await post(ctx, u, { beneficiary_id: b, type: 'deletion' })).json().id as string;
  const refused = await patch(ctx, u, second, { status: 'refused', notes: 'Guarda obrigatória por lei (art. 16, I)' });
  t.match(refused.json(), { status: 'refused', closed_at: String, handled_by: u.id });
  t.equal((await patch(ctx, u, '999999', { notes: 'x' })).statusCode, 404);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/privacy/requests/999999', headers: u.headers })).statusCode,
    404,
  );

  const outsider = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:write', 'beneficiaries:read_sensitive']);
  for (const [method, url] of [
    ['GET', '/api/v1/privacy/requests'],
    ['GET', `/api/v1/privacy/requests/${id}`],
  ] as const)
    t.equal((await ctx.app.inject({ method, url, headers: outsider.headers })).statusCode, 403, `${method} ${url}`);
  t.equal((await post(ctx, outsider, { beneficiary_id: b, type: 'access' })).statusCode, 403);
});

t.test('overdue requests: a list filter and a metric', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const b = await newBeneficiary(ctx, u, 'Pedidos Atrasados');
  const late = (await post(ctx, u, { beneficiary_id: b, type: 'access', received_at: daysAgo(20) })).json();
  const lateDone = (await post(ctx, u, { beneficiary_id: b, type: 'sharing_info', received_at: daysAgo(30) })).json();
  await patch(ctx, u, lateDone.id, { status: 'completed' });
  const fresh = (await post(ctx, u, { beneficiary_id: b, type: 'portability', received_at: daysAgo(2) })).json();
  const onTheDay = (await post(ctx, u, { beneficiary_id: b, type: 'correction', received_at: daysAgo(15) })).json();
  t.equal(onTheDay.overdue, false, 'on its due day a request is still in time');

  const list = (q: string) =>
    ctx.app.inject({ method: 'GET', url: `/api/v1/privacy/requests${q}`, headers: u.headers }).then((r) => r.json());
  t.same(
    (await list('?overdue=true')).data.map((r: { id: string }) => r.id),
    [late.id],
    'only the open request past its due day',
  );
  t.same(
    (await list('')).data.map((r: { id: string }) => r.id),
    [lateDone.id, late.id, onTheDay.id, fresh.id],
    'every request, most urgent (earliest due) first',
  );
  t.same(
    (await list('?overdue=false&type=portability')).data.map((r: { id: string }) => r.id),
    [fresh.id],
  );
  t.same(
    (await list(`?status=completed&beneficiary_id=${b}`)).data.map((r: { id: string }) => r.id),
    [lateDone.id],
  );
  const page1 = await list('?limit=2');
  t.equal(page1.data.length, 2);
  const page2 = await list(`?limit=2&cursor=${page1.next_cursor}`);
  t.same(
    page2.data.map((r: { id: string }) => r.id),
    [onTheDay.id, fresh.id],
    'keyset pages on (due day, id)',
  );
  t.equal(page2.next_cursor, null);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/privacy/requests?cursor=bogus', headers: u.headers }))
      .statusCode,
    400,
  );

  const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.body, /^acolhe_privacy_requests_overdue 1$/m, 'one overdue request');
  t.match(metrics.body, /^acolhe_privacy_requests_open 3$/m, 'three open');
  await patch(ctx, u, late.id, { status: 'completed' });
  t.match((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body, /^acolhe_privacy_requests_overdue 0$/m);
});
