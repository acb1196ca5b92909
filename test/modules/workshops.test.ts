// Projects, workshops, enrolments and participants through the HTTP API against real PostgreSQL:
// constraints, the facilitator overlap (409 naming the other workshop), the enrolment status machine,
// eligibility and the last seat under concurrency.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { addParticipant, approvedBeneficiary, setupProject, setupWorkshop } from './case-fixtures.js';

t.test(
  'projects: unique name ignoring case, end ≥ start, coordinator must exist, optimistic concurrency',
  async (t) => {
    const ctx = await buildTestApp(t);
    const u = await admin(ctx);
    const p = await setupProject(ctx, u, { name: 'Costura Criativa' });
    const post = (payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'POST', url: '/api/v1/projects', headers: u.headers, payload });
    const dup = await post({
      name: 'COSTURA criativa',
      start_date: '2026-01-01',
      end_date: '2026-02-01',
      coordinator_id: u.id,
    });
    t.equal(dup.statusCode, 409);
    t.match(dup.json().errors, [{ path: 'body.name' }]);
    const backwards = await post({ name: 'X', start_date: '2026-03-01', end_date: '2026-02-01', coordinator_id: u.id });
    t.equal(backwards.statusCode, 422);
    t.match(backwards.json().errors, [{ path: 'body.end_date' }]);
    const ghost = await post({ name: 'Y', start_date: '2026-01-01', end_date: '2026-02-01', coordinator_id: '999999' });
    t.equal(ghost.statusCode, 409);
    t.match(ghost.json().errors, [{ path: 'body.coordinator_id' }]);
    t.equal(
      (await post({ name: 'Z', start_date: '2026-01-01', end_date: '2026-02-01', coordinator_id: u.id, budget: 1 }))
        .statusCode,
      400,
    );

    const patch = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
      ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/projects/${p.id}`,
        headers: { ...u.headers, ...headers },
        payload,
      });
    t.equal((await patch({ description: 'a' }, { 'if-match': '"1"' })).statusCode, 200);
    t.equal((await patch({ description: 'b' }, { 'if-match': '"1"' })).statusCode, 412);
    t.equal((await patch({ end_date: '2025-01-01' })).statusCode, 422);

    const reader = await userWith(ctx, ['projects:read']);
    t.equal(
      (await ctx.app.inject({ method: 'POST', url: '/api/v1/projects', headers: reader.headers, payload: {} }))
        .statusCode,
      403,
    );
    const list = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/projects?q=%25_costura',
      headers: reader.headers,
    });
    t.same(list.json().data, [], 'wildcards are literal');
    t.equal(
      (await ctx.app.inject({ method: 'GET', url: '/api/v1/projects?q=costura', headers: reader.headers })).json().data
        .length,
      1,
    );
  },
);

t.test(
  'workshops: dates inside the project, times, capacity, facilitator overlap refused by the database',
  async (t) => {
    const ctx = await buildTestApp(t);
    const u = await admin(ctx);
    const p = await setupProject(ctx, u);
    const w1 = await setupWorkshop(ctx, u, p.id, {
      title: 'Costura',
      weekdays: [1, 3],
      start_time: '09:00',
      end_time: '11:00',
    });
    t.equal(w1.statusCode, 201, w1.body);
    t.match(w1.json(), {
      weekdays: [1, 3],
      start_time: '09:00',
      end_time: '11:00',
      participant_count: 0,
      status: 'planned',
    });

    const outside = await setupWorkshop(ctx, u, p.id, { start_date: '2025-12-01' });
    t.equal(outside.statusCode, 422);
    t.match(outside.json().errors, [{ path: 'body.start_date' }]);
    t.equal((await setupWorkshop(ctx, u, p.id, { start_time: '11:00', end_time: '10:00' })).statusCode, 422);
    t.equal((await setupWorkshop(ctx, u, p.id, { capacity: 0 })).statusCode, 400);
    t.equal((await setupWorkshop(ctx, u, p.id, { weekdays: [0] })).statusCode, 400);
    t.equal((await setupWorkshop(ctx, u, p.id, { weekdays: [8] })).statusCode, 400);

    const clash = await setupWorkshop(ctx, u, p.id, {
      title: 'Bordado',
      weekdays: [3, 5],
      start_time: '10:30',
      end_time: '12:00',
      start_date: '2026-05-01',
      end_date: '2026-08-01',
    });
    t.equal(clash.statusCode, 409);
    t.equal(clash.json().code, 'facilitator_overlap');
    t.match(clash.json().detail, new RegExp(`workshop ${w1.json().id} \\("Costura"\\)`), 'names the other workshop');
    t.match(clash.json().errors, [{ path: 'body.facilitator_id' }]);

    t.equal(
      (await setupWorkshop(ctx, u, p.id, { title: 'Adjacent', weekdays: [1], start_time: '11:00', end_time: '12:00' }))
        .statusCode,
      201,
      'back-to-back is fine',
    );
    t.equal(
      (await setupWorkshop(ctx, u, p.id, { title: 'Other day', weekdays: [2], start_time: '09:00', end_time: '11:00' }))
        .statusCode,
      201,
    );
    t.equal(
      (
        await setupWorkshop(ctx, u, p.id, {
          title: 'Later',
          weekdays: [1],
          start_date: '2026-07-01',
          end_date: '2026-08-01',
        })
      ).statusCode,
      201,
    );
    const other = await userWith(ctx, ['workshops:read'], 'Outra Educadora');
    t.equal(
      (await setupWorkshop(ctx, u, p.id, { title: 'Other facilitator', facilitator_id: other.id })).statusCode,
      201,
    );

    // Updates go through the same constraint; cancelling frees the slot.
    const moved = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/workshops/${w1.json().id}`,
      headers: u.headers,
      payload: { weekdays: [2] },
    });
    t.equal(moved.statusCode, 409, 'moving onto "Other day"');
    t.match(moved.json().detail, /Other day/);
    const cancelled = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/workshops/${w1.json().id}`,
      headers: u.headers,
      payload: { status: 'cancelled', version: 1 },
    });
    t.equal(cancelled.statusCode, 200);
    t.equal(
      (
        await setupWorkshop(ctx, u, p.id, {
          title: 'Takes the slot',
          weekdays: [3],
          start_time: '10:00',
          end_time: '10:45',
        })
      ).statusCode,
      201,
    );

    // Even a direct write is refused by the database.
    const direct = await ctx.db
      .execute({
        text: `INSERT INTO workshops (project_id, title, facilitator_id, start_date, end_date, weekdays, start_time, end_time, capacity)
             VALUES ($1, 'direct', $2, '2026-03-01', '2026-03-31', '{2}', '10:00', '10:30', 5)`,
        values: [p.id, u.id],
      })
      .catch((err: { status: number; pgCode: string }) => `${err.status} ${err.pgCode}`);
    t.equal(direct, '409 23P01');
    t.equal(
      (
        await ctx.app.inject({
          method: 'PATCH',
          url: `/api/v1/projects/${p.id}`,
          headers: u.headers,
          payload: { end_date: '2026-03-01' },
        })
      ).statusCode,
      422,
      'project cannot shrink under its workshops',
    );
  },
);

t.test('enrolments: one live per pair, the status machine, who decided', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const decider = await userWith(ctx, ['enrollments:read', 'enrollments:decide']);
  const clerk = await userWith(ctx, ['enrollments:read', 'enrollments:write']);
  const p = await setupProject(ctx, u);
  const b = (
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/beneficiaries',
      headers: u.headers,
      payload: { full_name: 'Helena Dias' },
    })
  ).json();
  const enrol = () =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/enrollments',
      headers: clerk.headers,
      payload: { beneficiary_id: b.id, project_id: p.id },
    });
  const act = (id: string, action: string, who: TestUser = decider, payload: Record<string, unknown> = {}) =>
    ctx.app.inject({ method: 'POST', url: `/api/v1/enrollments/${id}/${action}`, headers: who.headers, payload });

  const e = await enrol();
  t.equal(e.statusCode, 201);
  t.match(e.json(), { status: 'pending', decided_by: null, decided_at: null, beneficiary_name: 'Helena Dias' });
  const again = await enrol();
  t.equal(again.statusCode, 409, 'one live enrolment per pair');
  t.equal(again.json().code, 'already_enrolled');
  t.equal((await act(e.json().id, 'approve', clerk)).statusCode, 403, 'deciding needs enrollments:decide');
  t.equal((await act(e.json().id, 'withdraw')).statusCode, 409, 'pending → withdrawn');
  t.equal((await act(e.json().id, 'complete')).statusCode, 409, 'pending → completed');
  t.equal((await act(e.json().id, 'approve', decider, { version: 9 })).statusCode, 412);
  const approved = await act(e.json().id, 'approve', decider, { note: 'ok' });
  t.equal(approved.statusCode, 200);
  t.match(approved.json(), { status: 'approved', decided_by: decider.id, decision_note: 'ok' });
  t.ok(approved.json().decided_at);
  t.equal((await act(e.json().id, 'approve')).statusCode, 409, 'approved → approved');
  t.equal((await act(e.json().id, 'reject')).statusCode, 409, 'approved → rejected');
  t.equal((await enrol()).statusCode, 409, 'still live');
  t.equal((await act(e.json().id, 'withdraw')).statusCode, 200);
  t.equal((await act(e.json().id, 'approve')).statusCode, 409, 'withdrawn is final');
  const second = await enrol();
  t.equal(second.statusCode, 201, 'a new enrolment after the previous one ended');
  t.equal((await act(second.json().id, 'reject')).statusCode, 200);
  t.equal((await act(second.json().id, 'approve')).statusCode, 409, 'rejected is final');
  t.equal((await act(second.json().id, 'bogus')).statusCode, 400);
  t.equal((await act('999999', 'approve')).statusCode, 404);

  const ghost = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/enrollments',
    headers: clerk.headers,
    payload: { beneficiary_id: '999999', project_id: p.id },
  });
  t.equal(ghost.statusCode, 422);
  const direct = await ctx.db
    .execute({
      text: "UPDATE enrollments SET status = 'pending', decided_at = NULL WHERE id = $1",
      values: [e.json().id],
    })
    .catch((err: { status: number }) => err.status);
  t.equal(direct, 422, 'the database refuses an illegal transition too');

  const list = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/enrollments?beneficiary_id=${b.id}&limit=1`,
    headers: decider.headers,
  });
  t.equal(list.json().data.length, 1);
  t.ok(list.json().next_cursor);
  const summary = await ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries/${b.id}`, headers: u.headers });
  t.same(
    summary.json().enrollments.map((x: { status: string }) => x.status),
    ['rejected', 'withdrawn'],
    'the beneficiary shows a summary of her enrolments',
  );

  const audit = await ctx.db.many<{ user_id: string; changes: { status?: { old: string; new: string } } }>({
    text: "SELECT user_id, changes FROM audit_log WHERE table_name = 'enrollments' AND row_id = $1 AND action = 'update' ORDER BY id",
    values: [e.json().id],
  });
  t.same(
    audit.map((a) => [a.user_id, a.changes.status?.old, a.changes.status?.new]),
    [
      [decider.id, 'pending', 'approved'],
      [decider.id, 'approved', 'withdrawn'],
    ],
  );
});

t.test('participants: approved enrolment only, capacity, the last seat under concurrency', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const p = await setupProject(ctx, u);
  const w = (await setupWorkshop(ctx, u, p.id, { capacity: 2 })).json();
  const add = (beneficiaryId: string) => addParticipant(ctx, u, w.id, beneficiaryId);

  const pendingOnly = (
    await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/beneficiaries',
      headers: u.headers,
      payload: { full_name: 'Sem Aprovação' },
    })
  ).json();
  await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/enrollments',
    headers: u.headers,
    payload: { beneficiary_id: pendingOnly.id, project_id: p.id },
  });
  const refused = await add(pendingOnly.id);
  t.equal(refused.statusCode, 422, 'a pending enrolment is not enough');
  t.match(refused.json().errors, [{ path: 'body.beneficiary_id' }]);
  const otherProject = await setupProject(ctx, u);
  const elsewhere = await approvedBeneficiary(ctx, u, otherProject.id, 'Outro Projeto');
  t.equal((await add(elsewhere.beneficiaryId)).statusCode, 422, 'approved in another project is not enough');

  const a = await approvedBeneficiary(ctx, u, p.id, 'Ana');
  const first = await add(a.beneficiaryId);
  t.equal(first.statusCode, 201, first.body);
  t.match(first.json(), { beneficiary_id: a.beneficiaryId, enrollment_id: a.enrollmentId, full_name: 'Ana' });
  t.equal((await add(a.beneficiaryId)).statusCode, 409, 'already a participant');

  // One seat left, two requests at once: exactly one wins.
  const b = await approvedBeneficiary(ctx, u, p.id, 'Bia');
  const c = await approvedBeneficiary(ctx, u, p.id, 'Carla');
  const race = await Promise.all([add(b.beneficiaryId), add(c.beneficiaryId)]);
  t.same(race.map((r) => r.statusCode).sort(), [201, 409], 'exactly one 201');
  t.equal(race.find((r) => r.statusCode === 409)!.json().code, 'workshop_full');
  const count = await ctx.db.one<{ n: number; participant_count: number }>({
    text: 'SELECT (SELECT count(*)::int FROM workshop_participants WHERE workshop_id = $1) AS n, participant_count FROM workshops WHERE id = $1',
    values: [w.id],
  });
  t.same(count, { n: 2, participant_count: 2 });

  // Many at once on a fresh workshop: never beyond capacity.
  const w2 = (await setupWorkshop(ctx, u, p.id, { capacity: 3, weekdays: [6] })).json();
  const many = [];
  for (let i = 0; i < 8; i++) many.push(await approvedBeneficiary(ctx, u, p.id, `Pessoa ${i}`));
  const burst = await Promise.all(
    many.map((m) =>
      ctx.app.inject({
        method: 'POST',
        url: `/api/v1/workshops/${w2.id}/participants`,
        headers: u.headers,
        payload: { beneficiary_id: m.beneficiaryId },
      }),
    ),
  );
  t.equal(burst.filter((r) => r.statusCode === 201).length, 3);
  t.equal(burst.filter((r) => r.statusCode === 409).length, 5);

  const shrink = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/workshops/${w.id}`,
    headers: u.headers,
    payload: { capacity: 1 },
  });
  t.equal(shrink.statusCode, 409, 'capacity cannot drop below the participants');
  const list = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/workshops/${w.id}/participants?limit=1`,
    headers: u.headers,
  });
  t.equal(list.json().data.length, 1);
  t.ok(list.json().next_cursor);
  const removed = await ctx.app.inject({
    method: 'DELETE',
    url: `/api/v1/workshops/${w.id}/participants/${a.beneficiaryId}`,
    headers: u.headers,
  });
  t.equal(removed.statusCode, 204);
  t.equal(
    (
      await ctx.app.inject({
        method: 'DELETE',
        url: `/api/v1/workshops/${w.id}/participants/${a.beneficiaryId}`,
        headers: u.headers,
      })
    ).statusCode,
    404,
  );
  t.equal(
    (
      await ctx.db.one<{ participant_count: number }>({
        text: 'SELECT participant_count FROM workshops WHERE id = $1',
        values: [w.id],
      })
    ).participant_count,
    1,
  );
});
