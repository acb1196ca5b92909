// Attendance sheets and the audit trail through the HTTP API against real PostgreSQL: scheduled sessions,
// the organisation's calendar day (never the UTC one), whole-sheet idempotent upserts, rates, and the
// audit log of the whole journey with the acting user.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { AROUND_TODAY, approvedBeneficiary, setupProject, setupWorkshop } from './case-fixtures.js';

async function everyDayWorkshop(ctx: TestContext, u: TestUser) {
  const p = await setupProject(ctx, u, AROUND_TODAY);
  const w = await setupWorkshop(ctx, u, p.id, {
    ...AROUND_TODAY,
    weekdays: [1, 2, 3, 4, 5, 6, 7],
  });
  return { project: p, workshop: w.json() as { id: string } };
}

const sheet = (ctx: TestContext, u: TestUser, workshopId: string, date: string, rows: unknown) =>
  ctx.app.inject({
    method: 'PUT',
    url: `/api/v1/workshops/${workshopId}/attendance/${date}`,
    headers: u.headers,
    payload: rows as object,
  });

t.test('a session late in the evening is recorded on the local calendar day, not the UTC one', async (t) => {
  // What the API relies on: PostgreSQL turns an instant into the organisation's calendar day.
  const probe = await buildTestApp(t);
  const edge = await probe.db.one<{ local: string; utc: string }>({
    text: "SELECT ('2026-11-25 22:00:00-03'::timestamptz AT TIME ZONE 'America/Sao_Paulo')::date AS local, ('2026-11-25 22:00:00-03'::timestamptz AT TIME ZONE 'UTC')::date AS utc",
  });
  t.same(edge, { local: '2026-11-25', utc: '2026-11-26' }, '22:00 in São Paulo is already tomorrow in UTC');

  // Now through the API, at this very moment: run the app in a zone whose calendar day differs from UTC's
  // right now (UTC-12 before noon UTC, UTC+14 after), exactly like São Paulo between 21:00 and 24:00.
  const { utcHour } = await probe.db.one<{ utcHour: number }>({
    text: 'SELECT extract(hour FROM now() AT TIME ZONE \'UTC\')::int AS "utcHour"',
  });
  const zone = utcHour < 12 ? 'Etc/GMT+12' : 'Pacific/Kiritimati';
  const ctx = await buildTestApp(t, { env: { ORG_TIMEZONE: zone } });
  const u = await admin(ctx);
  const { project, workshop } = await everyDayWorkshop(ctx, u);
  const { beneficiaryId } = await approvedBeneficiary(ctx, u, project.id);
  await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/workshops/${workshop.id}/participants`,
    headers: u.headers,
    payload: { beneficiary_id: beneficiaryId },
  });
  const days = await ctx.db.one<{ local: string; utc: string }>({
    text: "SELECT (now() AT TIME ZONE $1)::date AS local, (now() AT TIME ZONE 'UTC')::date AS utc",
    values: [zone],
  });
  t.not(days.local, days.utc, `${zone}: local day differs from the UTC day`);

  const today = await sheet(ctx, u, workshop.id, days.local, [{ beneficiary_id: beneficiaryId, present: true }]);
  t.equal(today.statusCode, 200, `the local today (${days.local}) is accepted: ${today.body}`);
  const stored = await ctx.db.many<{ session_date: string }>({
    text: 'SELECT session_date FROM attendance WHERE workshop_id = $1',
    values: [workshop.id],
  });
  t.same(stored, [{ session_date: days.local }], 'stored on the local calendar day');
  if (days.utc > days.local) {
    const utcDay = await sheet(ctx, u, workshop.id, days.utc, [{ beneficiary_id: beneficiaryId, present: true }]);
    t.equal(utcDay.statusCode, 422, 'the UTC date is still the future here');
    t.match(utcDay.json().errors, [{ path: 'params.date', message: 'is after today' }]);
  }
});

t.test('sheets: scheduled sessions only, participants only, whole-sheet idempotent upsert, rates', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const educator = await userWith(ctx, ['attendance:read', 'attendance:write']);
  const viewer = await userWith(ctx, ['attendance:read']);
  const p = await setupProject(ctx, u);
  // Mondays and Wednesdays, 2026-02-02 (a Monday) to 2026-06-30.
  const w = (
    await setupWorkshop(ctx, u, p.id, { start_date: '2026-02-02', end_date: '2026-06-30', weekdays: [1, 3] })
  ).json();
  const ana = await approvedBeneficiary(ctx, u, p.id, 'Ana');
  const bia = await approvedBeneficiary(ctx, u, p.id, 'Bia');
  const outsider = await approvedBeneficiary(ctx, u, p.id, 'Cida');
  for (const x of [ana, bia]) {
    await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/workshops/${w.id}/participants`,
      headers: u.headers,
      payload: { beneficiary_id: x.beneficiaryId },
    });
  }

  t.equal((await sheet(ctx, viewer, w.id, '2026-02-02', [])).statusCode, 403);
  t.equal(
    (await sheet(ctx, educator, w.id, '2026-02-03', [])).statusCode,
    422,
    'a Tuesday is not a session (ISO weekday 2)',
  );
  t.equal((await sheet(ctx, educator, w.id, '2026-02-01', [])).statusCode, 422, 'before the workshop starts');
  t.equal((await sheet(ctx, educator, w.id, '2026-07-01', [])).statusCode, 422, 'after it ends');
  t.equal((await sheet(ctx, educator, w.id, '2026-02-30', [])).statusCode, 400, 'not a date');
  t.equal((await sheet(ctx, educator, '999999', '2026-02-02', [])).statusCode, 404);
  const stranger = await sheet(ctx, educator, w.id, '2026-02-02', [
    { beneficiary_id: outsider.beneficiaryId, present: true },
  ]);
  t.equal(stranger.statusCode, 422, 'only participants');
  t.match(stranger.json().errors, [{ path: 'body.0.beneficiary_id' }]);
  const twice = await sheet(ctx, educator, w.id, '2026-02-02', [
    { beneficiary_id: ana.beneficiaryId, present: true },
    { beneficiary_id: ana.beneficiaryId, present: false },
  ]);
  t.equal(twice.statusCode, 400);
  t.equal(
    (await sheet(ctx, educator, w.id, '2026-02-02', [{ beneficiary_id: ana.beneficiaryId, present: true, extra: 1 }]))
      .statusCode,
    400,
  );
  t.equal(
    (await sheet(ctx, educator, w.id, '2026-02-02', { beneficiary_id: ana.beneficiaryId })).statusCode,
    400,
    'body must be an array',
  );

  const rows = [
    { beneficiary_id: ana.beneficiaryId, present: true },
    { beneficiary_id: bia.beneficiaryId, present: false, note: 'doente' },
  ];
  const put = await sheet(ctx, educator, w.id, '2026-02-02', rows);
  t.equal(put.statusCode, 200, put.body);
  t.same(
    put
      .json()
      .entries.map((e: { full_name: string; present: boolean; note: string | null; updated_by: string }) => [
        e.full_name,
        e.present,
        e.note,
        e.updated_by,
      ]),
    [
      ['Ana', true, null, educator.id],
      ['Bia', false, 'doente', educator.id],
    ],
  );
  const auditCount = () =>
    ctx.db.one<{ n: number }>({ text: "SELECT count(*)::int AS n FROM audit_log WHERE table_name = 'attendance'" });
  const before = (await auditCount()).n;
  t.equal(before, 2);
  const again = await sheet(ctx, educator, w.id, '2026-02-02', rows);
  t.same(
    again.json().entries.map((e: { present: boolean }) => e.present),
    [true, false],
    'idempotent',
  );
  t.equal((await auditCount()).n, before, 'repeating the sheet writes nothing');

  // The listed rows replace the sheet.
  const replaced = await sheet(ctx, educator, w.id, '2026-02-02', [
    { beneficiary_id: bia.beneficiaryId, present: true },
  ]);
  t.same(
    replaced.json().entries.map((e: { full_name: string; present: boolean }) => [e.full_name, e.present]),
    [['Bia', true]],
  );
  await sheet(ctx, educator, w.id, '2026-02-04', rows);
  const got = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/workshops/${w.id}/attendance/2026-02-04`,
    headers: viewer.headers,
  });
  t.equal(got.statusCode, 200);
  t.equal(got.json().entries.length, 2);
  const empty = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/workshops/${w.id}/attendance/2026-02-09`,
    headers: viewer.headers,
  });
  t.same(empty.json().entries, []);

  const rates = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/workshops/${w.id}/attendance`,
    headers: viewer.headers,
  });
  t.equal(rates.statusCode, 200);
  t.equal(rates.json().sessions_recorded, 2);
  t.same(
    rates
      .json()
      .data.map((r: { full_name: string; sessions: number; present: number; rate: number }) => [
        r.full_name,
        r.sessions,
        r.present,
        r.rate,
      ]),
    [
      ['Ana', 1, 1, 1],
      ['Bia', 2, 1, 0.5],
    ],
  );
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/workshops/999999/attendance', headers: viewer.headers }))
      .statusCode,
    404,
  );

  const remove = await ctx.app.inject({
    method: 'DELETE',
    url: `/api/v1/workshops/${w.id}/participants/${ana.beneficiaryId}`,
    headers: u.headers,
  });
  t.equal(remove.statusCode, 409, 'a participant with recorded attendance stays');

  const future = await ctx.db.one<{ d: string }>({
    text: "SELECT ((now() AT TIME ZONE 'America/Sao_Paulo')::date + 7 - extract(isodow FROM (now() AT TIME ZONE 'America/Sao_Paulo')::date)::int + 1) AS d",
  });
  const p2 = await setupProject(ctx, u, AROUND_TODAY);
  const w2 = (
    await setupWorkshop(ctx, u, p2.id, {
      ...AROUND_TODAY,
      weekdays: [1],
      start_time: '18:00',
      end_time: '19:00',
    })
  ).json();
  const next = await sheet(ctx, educator, w2.id, future.d, []);
  t.equal(next.statusCode, 422, `next Monday (${future.d}) is in the future`);
});

t.test('the audit trail: every step of the journey with its acting user, filters, keyset, permission', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const auditor = await userWith(ctx, ['audit:read']);
  const nobody = await userWith(ctx, ['beneficiaries:read']);
  const p = await setupProject(ctx, u, AROUND_TODAY);
  const w = (
    await setupWorkshop(ctx, u, p.id, {
      ...AROUND_TODAY,
      weekdays: [1, 2, 3, 4, 5, 6, 7],
    })
  ).json();
  const { beneficiaryId, enrollmentId } = await approvedBeneficiary(ctx, u, p.id, 'Dora');
  await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/workshops/${w.id}/participants`,
    headers: u.headers,
    payload: { beneficiary_id: beneficiaryId },
  });
  const today = (
    await ctx.db.one<{ d: string }>({ text: "SELECT (now() AT TIME ZONE 'America/Sao_Paulo')::date AS d" })
  ).d;
  t.equal((await sheet(ctx, u, w.id, today, [{ beneficiary_id: beneficiaryId, present: true }])).statusCode, 200);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries/${beneficiaryId}`, headers: u.headers }))
      .statusCode,
    200,
  );

  const audit = (query: string, who: TestUser = auditor) =>
    ctx.app.inject({ method: 'GET', url: `/api/v1/audit?${query}`, headers: who.headers });
  t.equal((await audit('')).statusCode, 200);
  t.equal((await audit('', nobody)).statusCode, 403);
  const mine = (await audit(`user_id=${u.id}&limit=100`)).json().data as {
    table_name: string;
    action: string;
    row_id: string;
    user_id: string;
  }[];
  const steps = mine.map((e) => `${e.table_name}:${e.action}`).reverse();
  for (const step of [
    'projects:insert',
    'workshops:insert',
    'beneficiaries:insert',
    'enrollments:insert',
    'enrollments:update',
    'workshop_participants:insert',
    'workshops:update',
    'attendance:insert',
    'beneficiaries:read_sensitive',
  ]) {
    t.ok(steps.includes(step), `audit shows ${step}`);
  }
  t.ok(
    mine.every((e) => e.user_id === u.id),
    'each with the acting user',
  );

  const approval = (await audit(`table=enrollments&row_id=${enrollmentId}&action=update`)).json().data;
  t.equal(approval.length, 1);
  t.match(approval[0].changes, { status: { old: 'pending', new: 'approved' }, decided_by: { new: Number(u.id) } });
  t.equal(
    (await audit(`table=workshop_participants&row_id=${w.id}:${beneficiaryId}`)).json().data.length,
    1,
    'link rows keyed by both ids',
  );

  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await audit(`user_id=${u.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    pages.push(...res.json().data.map((e: { id: string }) => e.id));
    cursor = res.json().next_cursor;
  } while (cursor);
  t.same(
    pages,
    mine.map((e) => (e as unknown as { id: string }).id),
    'keyset pages, newest first',
  );
  const future = new Date(Date.now() + 3_600_000).toISOString();
  t.equal((await audit(`from=${encodeURIComponent(future)}`)).json().data.length, 0);
  t.ok((await audit(`to=${encodeURIComponent(future)}&table=projects`)).json().data.length >= 1);
  t.equal((await audit('limit=101')).statusCode, 400);
  t.equal((await audit('cursor=%%%')).statusCode, 400);
  t.equal((await audit('table=Robert%27);DROP')).statusCode, 400);
  t.equal((await audit('from=yesterday')).statusCode, 400);

  // The whole journey is reachable through /docs.
  const docs = await ctx.app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200);
  const paths = Object.keys(docs.json().paths as object);
  for (const path of [
    '/api/v1/projects',
    '/api/v1/workshops',
    '/api/v1/beneficiaries',
    '/api/v1/enrollments/{id}/{action}',
    '/api/v1/workshops/{id}/participants',
    '/api/v1/workshops/{id}/attendance/{date}',
    '/api/v1/audit',
  ]) {
    t.ok(paths.includes(path), `OpenAPI documents ${path}`);
  }
});
