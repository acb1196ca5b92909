// Legal bases and consent (issue 16): the purpose catalogue, versioned notices, consents as append-only events
// with a derived current state, and no enrolment into a project whose purpose rests on consent without her
// current consent: by the API (409 naming the purpose), by direct SQL, and when a revocation races an enrolment.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../setup/paths.js';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { race, refusal } from '../helpers/db-rules.js';
import { newBeneficiary, setupProject } from './case-fixtures.js';

const consent = (ctx: TestContext, u: TestUser, id: string, body: Record<string, unknown>) =>
  ctx.app.inject({ method: 'POST', url: `/api/v1/beneficiaries/${id}/consents`, headers: u.headers, payload: body });
const enrol = (ctx: TestContext, u: TestUser, beneficiary_id: string, project_id: string) =>
  ctx.app.inject({
    method: 'POST',
    url: '/api/v1/enrollments',
    headers: u.headers,
    payload: { beneficiary_id, project_id },
  });

t.test('the purpose catalogue: legal basis and retention of each', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await userWith(ctx, []);
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/privacy/purposes', headers: u.headers });
  t.equal(res.statusCode, 200, 'any signed-in user reads it');
  const byCode = Object.fromEntries(
    (res.json().data as { code: string; legal_basis: string; retention_months: number }[]).map((p) => [p.code, p]),
  );
  t.match(byCode.case_follow_up, { legal_basis: 'public_policy', retention_months: 60 });
  t.match(byCode.workshop_participation, { legal_basis: 'consent', retention_months: 24 });
  t.match(byCode.funder_reports, { legal_basis: 'legal_obligation' });
  t.match(byCode.messaging_contact, { legal_basis: 'consent' });
  t.match(byCode.protection_of_life, { legal_basis: 'protection_of_life' });
  t.equal((await ctx.app.inject({ method: 'GET', url: '/api/v1/privacy/purposes' })).statusCode, 401);
  const doc = fs.readFileSync(path.join(REPO, 'docs/privacy.md'), 'utf8');
  for (const p of Object.values(byCode))
    t.match(
      doc,
      new RegExp(`^\\| \`${p.code}\` \\|.*\\| ${p.retention_months} months \\|$`, 'm'),
      `docs/privacy.md lists ${p.code} with its retention`,
    );
});

t.test('consents: events, current state derived, only for consent purposes, never changed', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const reader = await userWith(ctx, ['beneficiaries:read']);
  const b = await newBeneficiary(ctx, u, 'Consuelo Teste');

  const granted = await consent(ctx, u, b, { purpose_code: 'messaging_contact', granted: true, method: 'phone' });
  t.equal(granted.statusCode, 201);
  t.match(granted.json(), {
    beneficiary_id: b,
    purpose_code: 'messaging_contact',
    purpose_name: 'Contato por mensagens',
    granted: true,
    method: 'phone',
    notice_version: 1,
    recorded_by: u.id,
  });
  const revoked = await consent(ctx, u, b, {
    purpose_code: 'messaging_contact',
    granted: false,
    method: 'in_person_verbal',
  });
  t.equal(revoked.statusCode, 201);
  await consent(ctx, u, b, { purpose_code: 'workshop_participation', granted: true, method: 'in_person_signed' });

  const state = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/beneficiaries/${b}/consents`,
    headers: reader.headers,
  });
  t.equal(state.statusCode, 200);
  t.same(
    state.json().current.map((c: { purpose_code: string; granted: boolean }) => [c.purpose_code, c.granted]),
    [
      ['messaging_contact', false],
      ['workshop_participation', true],
    ],
    'the current state is each purpose’s newest event',
  );
  t.equal(state.json().events.length, 3, 'every event kept, newest first');
  t.equal(state.json().events[2].id, granted.json().id);

  const refusals = [
    [{ purpose_code: 'case_follow_up', granted: true, method: 'phone' }, 422, /rests on public_policy/],
    [{ purpose_code: 'no_such_purpose', granted: true, method: 'phone' }, 422, /No purpose/],
    [{ purpose_code: 'messaging_contact', granted: true, method: 'phone', notice_version: 99 }, 422, /notice/],
    [{ purpose_code: 'messaging_contact', granted: true, method: 'telepathy' }, 400, /method/],
  ] as const;
  for (const [body, status, detail] of refusals) {
    const res = await consent(ctx, u, b, body);
    t.equal(res.statusCode, status, JSON.stringify(body));
    t.match(res.json().detail + JSON.stringify(res.json().errors ?? []), detail);
  }
  t.equal(
    (await consent(ctx, u, '999999', { purpose_code: 'messaging_contact', granted: true, method: 'phone' })).statusCode,
    404,
  );
  t.equal(
    (await consent(ctx, reader, b, { purpose_code: 'messaging_contact', granted: true, method: 'phone' })).statusCode,
    403,
  );

  // Append-only, in the database: no update, no delete, no truncate, whoever asks.
  const id = granted.json().id as string;
  for (const sql of ['UPDATE consents SET granted = false WHERE id = $1', 'DELETE FROM consents WHERE id = $1']) {
    t.match(
      await refusal(ctx, sql, [id]),
      { status: 409, code: 'append_only', constraint: 'consents_append_only' },
      sql,
    );
  }
  t.match(await refusal(ctx, 'TRUNCATE consents CASCADE', []), { code: 'append_only' }, 'TRUNCATE');
  t.match(
    await refusal(
      ctx,
      "INSERT INTO consents (beneficiary_id, purpose_code, granted, method) VALUES ($1, 'funder_reports', true, 'phone')",
      [b],
    ),
    { status: 422, constraint: 'consents_purpose_code_check' },
    'direct SQL cannot record consent to a purpose that does not rest on it',
  );
  t.match(
    await refusal(
      ctx,
      "INSERT INTO consents (beneficiary_id, purpose_code, granted, method) VALUES ($1, 'messaging_contact', true, 'phone')",
      [b],
    ),
    { status: 422, constraint: 'consents_notice_version_check' },
    'a grant names the notice she was shown',
  );
});

t.test('privacy notices: versioned, never edited', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const viewer = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:write']);
  const list = await ctx.app.inject({ method: 'GET', url: '/api/v1/privacy/notices', headers: viewer.headers });
  t.equal(list.statusCode, 200);
  t.same(
    list.json().data.map((n: { version: number }) => n.version),
    [1],
  );
  const denied = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/privacy/notices',
    headers: viewer.headers,
    payload: { title: 'x', body: 'y' },
  });
  t.equal(denied.statusCode, 403, 'publishing needs privacy:manage');
  const v2 = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/privacy/notices',
    headers: u.headers,
    payload: { title: 'Aviso de privacidade (revisado)', body: 'Novo texto.' },
  });
  t.equal(v2.statusCode, 201);
  t.match(v2.json(), { version: 2, published_by: u.id });
  const b = await newBeneficiary(ctx, u, 'Nova Versão');
  const c = await consent(ctx, viewer, b, { purpose_code: 'messaging_contact', granted: true, method: 'online' });
  t.equal(c.json().notice_version, 2, 'a grant defaults to the newest notice');
  const older = await consent(ctx, viewer, b, {
    purpose_code: 'messaging_contact',
    granted: true,
    method: 'online',
    notice_version: 1,
  });
  t.equal(older.json().notice_version, 1, 'or names the one she was shown');
  t.match(await refusal(ctx, "UPDATE privacy_notices SET body = 'edited' WHERE version = 1", []), {
    status: 409,
    code: 'append_only',
  });
});

t.test('enrolling into a project whose purpose rests on consent needs her current consent', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const plain = await setupProject(ctx, u);
  t.equal(
    (plain as unknown as { purpose_code: string }).purpose_code,
    'case_follow_up',
    'projects default to case follow-up',
  );
  const workshops = await setupProject(ctx, u, { purpose_code: 'workshop_participation' });
  t.equal((workshops as unknown as { purpose_code: string }).purpose_code, 'workshop_participation');
  const unknown = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/projects',
    headers: u.headers,
    payload: {
      name: 'Sem finalidade',
      start_date: '2026-01-01',
      end_date: '2026-12-31',
      coordinator_id: u.id,
      purpose_code: 'nope',
    },
  });
  t.equal(unknown.statusCode, 409, 'an unknown purpose is refused');
  t.match(unknown.json().errors, [{ path: 'body.purpose_code' }]);

  const b = await newBeneficiary(ctx, u, 'Sem Consentimento');
  t.equal((await enrol(ctx, u, b, plain.id)).statusCode, 201, 'a public-policy project needs no consent');
  const refused = await enrol(ctx, u, b, workshops.id);
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), {
    code: 'consent_required',
    detail: /Participação em oficinas e projetos.*workshop_participation.*no current consent/,
    errors: [{ path: 'body.beneficiary_id', message: /workshop_participation/ }],
  });
  t.match(
    await refusal(ctx, 'INSERT INTO enrollments (beneficiary_id, project_id) VALUES ($1, $2)', [b, workshops.id]),
    { status: 409, code: 'consent_required', constraint: 'enrollments_consent_required' },
    'the database refuses it too',
  );

  await consent(ctx, u, b, { purpose_code: 'workshop_participation', granted: true, method: 'in_person_signed' });
  const ok = await enrol(ctx, u, b, workshops.id);
  t.equal(ok.statusCode, 201, 'with her consent she is enrolled');

  // Revoked: no new enrolment (here: into another project with the same purpose); the one made stays (history).
  await consent(ctx, u, b, { purpose_code: 'workshop_participation', granted: false, method: 'phone' });
  const other = await setupProject(ctx, u, { purpose_code: 'workshop_participation' });
  t.equal((await enrol(ctx, u, b, other.id)).json().code, 'consent_required', 'revoked: refused again');
  t.equal(
    await ctx.db.execute({ text: "UPDATE enrollments SET notes = 'kept' WHERE id = $1", values: [ok.json().id] }),
    1,
    'the enrolment made while she consented can still be written',
  );
  // Moving an existing enrolment into a project with a consent purpose is enrolling her there: checked too.
  const moved = await refusal(
    ctx,
    'UPDATE enrollments SET project_id = $1 WHERE beneficiary_id = $2 AND project_id = $3',
    [other.id, b, plain.id],
  );
  t.equal(moved.constraint, 'enrollments_consent_required');
});

t.test('a revocation racing an enrolment: either order serialises on her row', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const p = await setupProject(ctx, u, { purpose_code: 'workshop_participation' });
  const enrolment = (b: string) => ({
    text: 'INSERT INTO enrollments (beneficiary_id, project_id) VALUES ($1, $2)',
    values: [b, p.id],
  });
  const revocation = (b: string) => ({
    text: "INSERT INTO consents (beneficiary_id, purpose_code, granted, method) VALUES ($1, 'workshop_participation', false, 'phone')",
    values: [b],
  });
  const consenting = async (name: string) => {
    const b = await newBeneficiary(ctx, u, name);
    await consent(ctx, u, b, { purpose_code: 'workshop_participation', granted: true, method: 'in_person_signed' });
    return b;
  };

  // Revocation first, not yet committed: the enrolment waits for it, then sees it and is refused.
  const first = await consenting('Corrida Revogação');
  const late = await race(ctx, revocation(first), enrolment(first));
  t.equal(late?.constraint, 'enrollments_consent_required', 'the enrolment waited for the revocation and was refused');
  t.equal(late?.code, 'consent_required');

  // Enrolment first, not yet committed: the revocation waits until it is in; the serial order is enrol, revoke.
  const second = await consenting('Corrida Inscrição');
  t.equal(await race(ctx, enrolment(second), revocation(second)), null, 'the revocation waited, then went through');
  const after = await ctx.db.one<{ enrolled: boolean; consents: boolean }>({
    text: `SELECT EXISTS (SELECT 1 FROM enrollments WHERE beneficiary_id = $1) AS enrolled,
                  (SELECT granted FROM current_consents WHERE beneficiary_id = $1) AS consents`,
    values: [second],
  });
  t.same(after, { enrolled: true, consents: false }, 'enrolled while consenting, then revoked');
  const wait = await ctx.db.one<{ enrolled_before: boolean }>({
    text: `SELECT (SELECT min(id) FROM audit_log WHERE table_name = 'enrollments' AND changes -> 'beneficiary_id' ->> 'new' = $1)
                < (SELECT max(id) FROM audit_log WHERE table_name = 'consents' AND changes -> 'beneficiary_id' ->> 'new' = $1)
              AS enrolled_before`,
    values: [second],
  });
  t.ok(wait.enrolled_before, 'the audit trail shows the same order');
});
