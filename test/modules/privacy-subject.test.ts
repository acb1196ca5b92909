// The data subject's rights (issue 16): the export of everything held about her (with who read her sensitive
// data and when, itself audited), and anonymisation — after which none of her original values is anywhere in
// the database: every column of every table, enumerated from the catalogue at test time, is searched.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { refusal } from '../helpers/db-rules.js';
import { addParticipant, cpf, setupProject, setupWorkshop } from './case-fixtures.js';

const json = async (
  ctx: TestContext,
  u: TestUser,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  payload?: unknown,
) => {
  const res = await ctx.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, payload: payload as object });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};

/** Every column of every table, materialized view and partitioned table, from the catalogue: nothing hand-listed. */
async function everyColumn(ctx: TestContext) {
  return ctx.db.many<{ rel: string; col: string }>({
    text: `SELECT format('%I.%I', n.nspname, c.relname) AS rel, quote_ident(a.attname) AS col
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname !~ '^pg_(toast|temp_)'
            ORDER BY 1, 2`,
  });
}

/** For each value, the table.column pairs whose text form contains it (case-insensitive). */
async function occurrences(ctx: TestContext, values: string[]): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = Object.fromEntries(values.map((v) => [v, []]));
  for (const { rel, col } of await everyColumn(ctx)) {
    // rel and col were quoted by PostgreSQL itself (format %I, quote_ident): the catalogue is the whitelist.
    const hits = await ctx.db.many<{ v: string }>({
      text: `SELECT v FROM unnest($1::text[]) AS v
              WHERE EXISTS (SELECT 1 FROM ${rel} x WHERE strpos(lower(x.${col}::text), lower(v)) > 0)`,
      values: [values],
    });
    for (const h of hits) found[h.v]!.push(`${rel}.${col}`);
  }
  return found;
}

/** A woman with every field filled, a history, an enrolment, participation, attendance, consent and a request. */
async function fullStory(ctx: TestContext, u: TestUser, n: number, name: string) {
  const values = {
    full_name: name,
    social_name: `Apelido${n} Singular`,
    cpf: cpf(381_000_000 + n),
    nis: `2718281828${n}`,
    birth_date: `1984-07-1${n}`,
    phone: `+558199988${n}${n}66`,
    email: `pessoa${n}.singular@exemplo.org`,
    address_street: `Travessa dos Girassóis Azuis ${n}`,
    address_number: `17${n}9-B`,
    address_complement: `Bloco Lilás apto ${n}42`,
    address_neighbourhood: 'Casa Amarela',
    address_city: 'Recife',
    address_state: 'PE',
    address_postal_code: `5207${n}230`,
    family_income: 1234 + n + 0.56,
    dependents: 3,
    notes: `Encaminhada pelo CRAS Boa Vista ${n} em março`,
    vulnerabilities: ['domestic_violence', 'unemployment'],
  };
  const b = await json(ctx, u, 'POST', '/beneficiaries', values);
  const newPhone = `+558198877${n}${n}55`;
  await json(ctx, u, 'PATCH', `/beneficiaries/${b.id}`, { phone: newPhone, version: 1 });
  const reason = `Mudou-se para Caruaru com a tia Benedita ${n}`;
  await json(ctx, u, 'PATCH', `/beneficiaries/${b.id}`, { status: 'inactive', status_reason: reason });
  await json(ctx, u, 'PATCH', `/beneficiaries/${b.id}`, { status: 'active' });
  const p = await setupProject(ctx, u);
  // Her own hours: the facilitator (the admin) runs every woman's workshop.
  const w = (
    await setupWorkshop(ctx, u, p.id, { start_time: `${10 + 2 * n}:00`, end_time: `${11 + 2 * n}:00` })
  ).json();
  const enrolNote = `Indicada pela vizinha Josefina ${n}`;
  const e = await json(ctx, u, 'POST', '/enrollments', { beneficiary_id: b.id, project_id: p.id, notes: enrolNote });
  const decision = `Aprovada após entrevista ${n} na sala verde`;
  await json(ctx, u, 'POST', `/enrollments/${e.id}/approve`, { note: decision });
  await addParticipant(ctx, u, w.id, b.id);
  const attendanceNote = `Chegou atrasada por causa do filho Joaquim ${n}`;
  await json(ctx, u, 'PUT', `/workshops/${w.id}/attendance/2026-02-04`, [
    { beneficiary_id: b.id, present: true, note: attendanceNote },
  ]);
  await json(ctx, u, 'POST', `/beneficiaries/${b.id}/consents`, {
    purpose_code: 'messaging_contact',
    granted: true,
    method: 'in_person_signed',
  });
  const requestNote = `Pedido feito no balcão pela própria ${n}, com documento`;
  const request = await json(ctx, u, 'POST', '/privacy/requests', {
    beneficiary_id: b.id,
    type: 'anonymisation',
    notes: requestNote,
  });
  // Her original values: everything anonymisation must erase, in the forms the database holds them.
  const originals = [
    values.full_name,
    values.social_name,
    values.cpf,
    values.nis,
    values.birth_date,
    values.phone,
    newPhone,
    values.email,
    values.address_street,
    values.address_number,
    values.address_complement,
    values.address_postal_code,
    String(values.family_income),
    values.notes,
    reason,
    enrolNote,
    decision,
    attendanceNote,
    requestNote,
  ];
  return { id: b.id as string, enrollmentId: e.id as string, requestId: request.id as string, originals };
}

t.test('export: everything held about her, who read her sensitive data, the export itself audited', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const her = await fullStory(ctx, u, 1, 'Quitéria Exportável Bezerra');
  const reader = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:read_sensitive'], 'Leitora Sensível');
  await json(ctx, reader, 'GET', `/beneficiaries/${her.id}`);
  await json(ctx, reader, 'GET', `/beneficiaries?q=${her.originals[2]}`);

  const res = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/beneficiaries/${her.id}/export`,
    headers: u.headers,
  });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-disposition'], /^attachment; filename="beneficiary-\d+-export\.json"$/);
  const bundle = res.json();
  t.match(bundle, {
    format: 'acolhe.data-subject-export.v1',
    beneficiary_id: her.id,
    generated_by: u.id,
    record: { full_name: 'Quitéria Exportável Bezerra', cpf: her.originals[2], address_city: 'Recife' },
  });
  const related = bundle.related as Record<string, Record<string, unknown>[]>;
  t.match(related.enrollments, [{ id: Number(her.enrollmentId), notes: her.originals[15], status: 'approved' }]);
  t.equal(related.workshop_participants!.length, 1, 'participation');
  t.match(related.attendance, [{ present: true, note: her.originals[17] }], 'attendance');
  t.match(related.consents, [{ purpose_code: 'messaging_contact', granted: true }], 'consent events');
  t.equal(related.beneficiary_vulnerabilities!.length, 2);
  t.same(
    related.beneficiary_status_history!.map((h) => h.to_status),
    ['active', 'inactive', 'active'],
    'status history',
  );
  t.match(related.data_requests, [{ type: 'anonymisation', notes: her.originals[18] }]);
  t.match(bundle.consents, [{ purpose_code: 'messaging_contact', granted: true }], 'her current consents');
  t.ok(
    (bundle.audit_trail as { table_name: string }[]).some((a) => a.table_name === 'enrollments'),
    'the audit trail of her rows',
  );
  const log = bundle.access_log as { action: string; user_id: string; occurred_at: string }[];
  t.ok(
    log.filter((a) => a.user_id === u.id && a.action === 'read_sensitive').length >= 4,
    'the sensitive fields the admin saw in the answers of her writes',
  );
  t.match(
    log.filter((a) => a.user_id === reader.id || a.action === 'export'),
    [
      { action: 'read_sensitive', user_id: reader.id, user_name: 'Leitora Sensível', details: { fields: Array } },
      { action: 'read_sensitive', user_id: reader.id, details: { lookup: 'cpf_or_nis' } },
      { action: 'export', user_id: u.id, user_name: 'Administrator' },
    ],
    'who read her sensitive data and when (the lookup that found her too), and this export',
  );
  t.same(
    log.map((a) => a.occurred_at),
    log.map((a) => a.occurred_at).sort(),
    'oldest first',
  );
  t.match(
    (bundle.data_map as { table: string; column: string }[]).find(
      (m) => m.table === 'beneficiaries' && m.column === 'cpf',
    ),
    { class: 'sensitive', description: /CPF/ },
    'what each field is, from the classification',
  );
  const logged = await ctx.db.many<{ user_id: string }>({
    text: "SELECT user_id FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'export'",
    values: [her.id],
  });
  t.same(logged, [{ user_id: u.id }], 'the export is in the audit trail');

  const sensitiveOnly = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:read_sensitive']);
  t.equal(
    (
      await ctx.app.inject({
        method: 'GET',
        url: `/api/v1/beneficiaries/${her.id}/export`,
        headers: sensitiveOnly.headers,
      })
    ).statusCode,
    403,
    'exports need privacy:manage',
  );
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/beneficiaries/999999/export', headers: u.headers }))
      .statusCode,
    404,
  );
});

t.test('anonymisation: irreversible, keeps statistics, and leaves none of her values anywhere', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const her = await fullStory(ctx, u, 2, 'Quitéria Anonimável Bezerra');
  const other = await fullStory(ctx, u, 3, 'Rosália Controle Figueiredo');
  const reader = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:read_sensitive']);
  await json(ctx, reader, 'GET', `/beneficiaries/${her.id}`);
  await json(ctx, u, 'GET', `/beneficiaries/${her.id}/export`);

  const before = await occurrences(ctx, her.originals);
  for (const v of her.originals) t.ok(before[v]!.length > 0, `before: "${v}" is held (${before[v]!.join(', ')})`);

  const anonymise = (body: Record<string, unknown>, who = u) =>
    ctx.app.inject({
      method: 'POST',
      url: `/api/v1/beneficiaries/${her.id}/anonymise`,
      headers: who.headers,
      payload: body,
    });
  t.equal((await anonymise({ reason: 'x' }, reader)).statusCode, 403, 'needs privacy:manage');
  t.equal((await anonymise({})).statusCode, 400, 'a reason is required');
  const notHers = await anonymise({ reason: 'x', request_id: other.requestId });
  t.equal(notHers.statusCode, 422, 'another woman’s request');
  t.match(notHers.json().errors, [{ path: 'body.request_id' }]);

  const res = await anonymise({ reason: 'Pedido da titular, LGPD art. 18, IV', request_id: her.requestId });
  t.equal(res.statusCode, 200, res.body);
  const result = res.json();
  t.match(result, {
    beneficiary_id: her.id,
    anonymised_at: String,
    request_id: her.requestId,
    rows_changed: { beneficiaries: 1, enrollments: 1, attendance: 1, data_requests: 1, beneficiary_status_history: 1 },
  });
  t.ok(result.audit_rows_scrubbed > 0, `audit rows purged (${result.audit_rows_scrubbed})`);
  for (const col of ['beneficiaries.full_name', 'beneficiaries.cpf', 'enrollments.notes', 'attendance.note'])
    t.ok(result.erased.includes(col), `erased ${col}`);

  // Search every column of every table for each of her original values: zero hits.
  const after = await occurrences(ctx, her.originals);
  for (const v of her.originals) t.same(after[v], [], `after: "${v}" is nowhere`);
  const control = await occurrences(ctx, [other.originals[0]!, other.originals[2]!, other.originals[15]!]);
  for (const [v, where] of Object.entries(control))
    t.ok(where.length > 0, `the other woman's "${v}" is untouched (and the search finds what is there)`);

  // What statistics need stays.
  const record = await json(ctx, reader, 'GET', `/beneficiaries/${her.id}`);
  t.match(record, {
    full_name: '[anonimizado]',
    social_name: null,
    cpf: null,
    nis: null,
    phone: null,
    email: null,
    birth_date: '1984-01-01',
    address_street: null,
    address_number: null,
    address_complement: null,
    address_postal_code: null,
    family_income: null,
    notes: null,
    address_neighbourhood: 'Casa Amarela',
    address_city: 'Recife',
    address_state: 'PE',
    dependents: 3,
    status: 'archived',
    anonymised_at: String,
    vulnerabilities: [{ code: 'unemployment' }, { code: 'domestic_violence' }],
    enrollments: [{ status: 'approved' }],
  });
  const kept = await ctx.db.one<{ attended: number; participations: number; consents: number }>({
    text: `SELECT (SELECT count(*)::int FROM attendance WHERE beneficiary_id = $1 AND present) AS attended,
                  (SELECT count(*)::int FROM workshop_participants WHERE beneficiary_id = $1) AS participations,
                  (SELECT count(*)::int FROM consents WHERE beneficiary_id = $1) AS consents`,
    values: [her.id],
  });
  t.same(kept, { attended: 1, participations: 1, consents: 1 }, 'attendance, participation and consent events stay');
  const request = await json(ctx, u, 'GET', `/privacy/requests/${her.requestId}`);
  t.match(request, { status: 'completed', handled_by: u.id, notes: null }, 'her request is completed');
  const logged = await ctx.db.one<{
    user_id: string;
    changes: { reason: string; request_id: string; erased: string[] };
  }>({
    text: "SELECT user_id, changes FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'anonymise'",
    values: [her.id],
  });
  t.match(logged, {
    user_id: u.id,
    changes: { reason: 'Pedido da titular, LGPD art. 18, IV', request_id: her.requestId, erased: Array },
  });
  const trail = await ctx.db.many<{ changes: Record<string, unknown> }>({
    text: "SELECT changes FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'update'",
    values: [her.id],
  });
  t.ok(
    trail.some((r) => JSON.stringify(r.changes).includes('"[anonymised]"')),
    'the audit trail keeps that a column changed, not her value',
  );

  // Irreversible: nothing writes her record again, by the API or by SQL.
  t.equal((await anonymise({ reason: 'again' })).json().code, 'already_anonymised');
  const patch = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/beneficiaries/${her.id}`,
    headers: u.headers,
    payload: { full_name: 'Quitéria de volta' },
  });
  t.equal(patch.statusCode, 409);
  t.equal(patch.json().code, 'anonymised');
  const restore = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${her.id}/restore`,
    headers: u.headers,
    payload: {},
  });
  t.equal(restore.json().code, 'anonymised', 'no restore');
  t.match(
    await refusal(ctx, 'UPDATE beneficiaries SET cpf = $2 WHERE id = $1', [her.id, her.originals[2]]),
    { status: 409, code: 'anonymised', constraint: 'beneficiaries_anonymised_at_check' },
    'the database refuses to put an identifier back',
  );
  const consent = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${her.id}/consents`,
    headers: u.headers,
    payload: { purpose_code: 'messaging_contact', granted: true, method: 'phone' },
  });
  t.equal(consent.json().code, 'anonymised');
  const requestAfter = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/privacy/requests',
    headers: u.headers,
    payload: { beneficiary_id: her.id, type: 'access' },
  });
  t.equal(requestAfter.json().code, 'anonymised');
  const exported = await json(ctx, u, 'GET', `/beneficiaries/${her.id}/export`);
  t.match(exported.record, { full_name: '[anonimizado]', cpf: null }, 'an export after it shows what is left');
});
