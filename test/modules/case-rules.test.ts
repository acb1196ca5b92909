// The state rules of enrolments and participants, held by the database as well as the services
// (migration 202612011200): no enrolment of an archived beneficiary, none into a completed or cancelled
// project, no participant added to a completed or cancelled workshop. The API answers its friendly 409;
// direct SQL is refused by the triggers and mapped to a 422 naming the field; a concurrent archive or
// closing cannot slip between the check and the commit in either order.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { race, refusal } from '../helpers/db-rules.js';
import { addParticipant, approvedBeneficiary, newBeneficiary, setupProject, setupWorkshop } from './case-fixtures.js';

const ENROL = 'INSERT INTO enrollments (beneficiary_id, project_id) VALUES ($1, $2)';

t.test('enrolments: none of an archived beneficiary, none into a completed or cancelled project', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const p = await setupProject(ctx, u);
  const enrol = (beneficiary_id: string, project_id: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/api/v1/enrollments',
      headers: u.headers,
      payload: { beneficiary_id, project_id },
    });

  // Enrolled while active, archived afterwards: the enrolment stays (history, not a violation).
  const b = await newBeneficiary(ctx, u, 'Lúcia Arquivada');
  const earlier = await enrol(b, p.id);
  t.equal(earlier.statusCode, 201);
  const archive = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${b}/archive`,
    headers: u.headers,
    payload: { reason: 'moved away' },
  });
  t.equal(archive.statusCode, 200, 'archiving her with a live enrolment is allowed');

  const other = await setupProject(ctx, u);
  const api = await enrol(b, other.id);
  t.equal(api.statusCode, 409, 'the service refuses first');
  t.equal(api.json().code, 'archived');
  const direct = await refusal(ctx, ENROL, [b, other.id]);
  t.match(
    direct,
    {
      status: 422,
      code: 'check_violation',
      pgCode: '23514',
      constraint: 'enrollments_beneficiary_id_check',
      errors: [{ path: 'body.beneficiary_id', message: 'is invalid' }],
    },
    'the database refuses direct SQL too, as a 422 naming the field',
  );
  const moved = await refusal(ctx, 'UPDATE enrollments SET beneficiary_id = $1 WHERE id = $2', [
    b,
    (await enrol(await newBeneficiary(ctx, u, 'Outra'), other.id)).json().id,
  ]);
  t.equal(moved.constraint, 'enrollments_beneficiary_id_check', 'moving an enrolment onto her is refused');
  t.equal(
    await ctx.db.execute({ text: "UPDATE enrollments SET notes = 'kept' WHERE id = $1", values: [earlier.json().id] }),
    1,
    'her existing enrolment can still be written (the rule is about new ones)',
  );
  const restore = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${b}/restore`,
    headers: u.headers,
    payload: {},
  });
  t.equal(restore.statusCode, 200);
  t.equal(await ctx.db.execute({ text: ENROL, values: [b, other.id] }), 1, 'restored, she can be enrolled again');

  for (const status of ['completed', 'cancelled']) {
    const closed = await setupProject(ctx, u);
    const woman = await newBeneficiary(ctx, u, `Maria ${status}`);
    const kept = await enrol(woman, closed.id);
    t.equal(kept.statusCode, 201);
    const patch = await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/projects/${closed.id}`,
      headers: u.headers,
      payload: { status },
    });
    t.equal(patch.statusCode, 200, `a project with enrolments can be ${status}`);
    const late = await newBeneficiary(ctx, u, `Tardia ${status}`);
    const refused = await enrol(late, closed.id);
    t.equal(refused.statusCode, 409, `${status}: the service refuses first`);
    t.equal(refused.json().code, 'project_closed');
    t.match(
      await refusal(ctx, ENROL, [late, closed.id]),
      {
        status: 422,
        constraint: 'enrollments_project_id_check',
        errors: [{ path: 'body.project_id', message: 'is invalid' }],
      },
      `${status}: the database refuses direct SQL, naming project_id`,
    );
    const moveInto = await refusal(ctx, 'UPDATE enrollments SET project_id = $1 WHERE id = $2', [
      closed.id,
      (await enrol(late, p.id)).json().id,
    ]);
    t.equal(moveInto.constraint, 'enrollments_project_id_check', `${status}: moving an enrolment into it is refused`);
    t.equal(
      await ctx.db.execute({
        text: "UPDATE enrollments SET status = 'approved', decided_at = now() WHERE id = $1",
        values: [kept.json().id],
      }),
      1,
      `${status}: an enrolment taken while it was open can still be decided`,
    );
  }
});

t.test('participants: none added to a completed or cancelled workshop', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const p = await setupProject(ctx, u);
  const w = (await setupWorkshop(ctx, u, p.id, { capacity: 5 })).json();
  const add = (beneficiaryId: string) => addParticipant(ctx, u, w.id, beneficiaryId);
  const setStatus = (status: string) =>
    ctx.app.inject({ method: 'PATCH', url: `/api/v1/workshops/${w.id}`, headers: u.headers, payload: { status } });
  const count = async () =>
    (
      await ctx.db.one<{ participant_count: number }>({
        text: 'SELECT participant_count FROM workshops WHERE id = $1',
        values: [w.id],
      })
    ).participant_count;

  const first = await approvedBeneficiary(ctx, u, p.id, 'Joana');
  t.equal((await add(first.beneficiaryId)).statusCode, 201);
  const late = await approvedBeneficiary(ctx, u, p.id, 'Tereza');
  for (const status of ['completed', 'cancelled']) {
    t.equal((await setStatus(status)).statusCode, 200, `a workshop with participants can be ${status}`);
    const api = await add(late.beneficiaryId);
    t.equal(api.statusCode, 409, `${status}: the service refuses first`);
    t.equal(api.json().code, 'workshop_closed');
    t.match(
      await refusal(
        ctx,
        'INSERT INTO workshop_participants (workshop_id, beneficiary_id, enrollment_id) VALUES ($1, $2, $3)',
        [w.id, late.beneficiaryId, late.enrollmentId],
      ),
      {
        status: 422,
        code: 'check_violation',
        constraint: 'workshop_participants_workshop_id_check',
        errors: [{ path: 'body.workshop_id', message: 'is invalid' }],
      },
      `${status}: the database refuses direct SQL, naming workshop_id`,
    );
    t.equal(await count(), 1, `${status}: the seat count is unchanged`);
  }
  const open = (await setupWorkshop(ctx, u, p.id, { weekdays: [2] })).json();
  t.equal((await addParticipant(ctx, u, open.id, late.beneficiaryId)).statusCode, 201);
  const moved = await refusal(ctx, 'UPDATE workshop_participants SET workshop_id = $1 WHERE workshop_id = $2', [
    w.id,
    open.id,
  ]);
  t.equal(moved.constraint, 'workshop_participants_workshop_id_check', 'moving a participant into it is refused');
  t.equal((await setStatus('active')).statusCode, 200);
  t.equal((await add(late.beneficiaryId)).statusCode, 201, 'open again, she can join');
  t.equal(await count(), 2);
});

t.test('concurrency: an archive or a closing racing a write is waited for, in either order', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const p = await setupProject(ctx, u);
  const archive = (id: string) => ({
    text: "UPDATE beneficiaries SET status = 'archived', archived_at = now(), status_reason = 'race' WHERE id = $1",
    values: [id],
  });
  const enrolment = (beneficiaryId: string, projectId: string) => ({ text: ENROL, values: [beneficiaryId, projectId] });

  // Archive first, not yet committed: the enrolment waits, then sees her archived.
  const b1 = await newBeneficiary(ctx, u, 'Corrida Um');
  const late = await race(ctx, archive(b1), enrolment(b1, p.id));
  t.equal(late?.constraint, 'enrollments_beneficiary_id_check', 'the enrolment waited for the archive and was refused');
  // Enrolment first, not yet committed: the archive waits until the enrolment is in, so it never lands between.
  const b2 = await newBeneficiary(ctx, u, 'Corrida Dois');
  t.equal(await race(ctx, enrolment(b2, p.id), archive(b2)), null, 'the archive waited and then went through');
  const order = await ctx.db.one<{ enrolled: boolean; archived: boolean }>({
    text: `SELECT EXISTS (SELECT 1 FROM enrollments WHERE beneficiary_id = $1) AS enrolled,
                  (SELECT status = 'archived' FROM beneficiaries WHERE id = $1) AS archived`,
    values: [b2],
  });
  t.same(order, { enrolled: true, archived: true }, 'enrolled, then archived: the serial order');

  // The same for a project closing.
  const closing = (id: string) => ({ text: "UPDATE projects SET status = 'completed' WHERE id = $1", values: [id] });
  const p2 = await setupProject(ctx, u);
  const b3 = await newBeneficiary(ctx, u, 'Corrida Três');
  t.equal(
    (await race(ctx, closing(p2.id), enrolment(b3, p2.id)))?.constraint,
    'enrollments_project_id_check',
    'the enrolment waited for the project to close and was refused',
  );
  const p3 = await setupProject(ctx, u);
  t.equal(await race(ctx, enrolment(b3, p3.id), closing(p3.id)), null, 'the closing waited for the enrolment');

  // And a workshop closing, and two additions at once (they queue on the workshop row, never deadlock).
  const w = (await setupWorkshop(ctx, u, p.id, { capacity: 5 })).json();
  const seat = (who: { beneficiaryId: string; enrollmentId: string }) => ({
    text: 'INSERT INTO workshop_participants (workshop_id, beneficiary_id, enrollment_id) VALUES ($1, $2, $3)',
    values: [w.id, who.beneficiaryId, who.enrollmentId],
  });
  const [x, y, z] = [
    await approvedBeneficiary(ctx, u, p.id, 'Xênia'),
    await approvedBeneficiary(ctx, u, p.id, 'Yara'),
    await approvedBeneficiary(ctx, u, p.id, 'Zélia'),
  ];
  t.equal(await race(ctx, seat(x), seat(y)), null, 'two additions queue on the workshop row');
  const wclose = { text: "UPDATE workshops SET status = 'completed' WHERE id = $1", values: [w.id] };
  t.equal(
    (await race(ctx, wclose, seat(z)))?.constraint,
    'workshop_participants_workshop_id_check',
    'an addition waited for the workshop to close and was refused',
  );
  t.same(
    await ctx.db.one({
      text: `SELECT participant_count, (SELECT count(*)::int FROM workshop_participants WHERE workshop_id = $1) AS n
               FROM workshops WHERE id = $1`,
      values: [w.id],
    }),
    { participant_count: 2, n: 2 },
  );
});
