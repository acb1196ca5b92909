// Beneficiaries through the HTTP API against real PostgreSQL: constraints, masking, optimistic concurrency,
// archive/restore, search and keyset pagination, bad input that must never become a 500.
import t from 'tap';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { cpf } from './case-fixtures.js';
import { beneficiaryStatements } from '../../apps/backend/src/modules/beneficiaries/repository.js';

/** The fields only holders of beneficiaries:read_sensitive may see: what the column classification masks. */
const sensitiveOf = (ctx: TestContext) => beneficiaryStatements(ctx.app.classification).sensitiveFields;

async function create(ctx: TestContext, u: TestUser, body: Record<string, unknown>) {
  return ctx.app.inject({ method: 'POST', url: '/api/v1/beneficiaries', headers: u.headers, payload: body });
}

const full = (n: number) => ({
  full_name: `Maria Aparecida da Silva ${n}`,
  social_name: null,
  cpf: cpf(100_000_000 + n).replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4'),
  nis: '12345678901',
  birth_date: '1988-04-12',
  phone: '+5511987654321',
  email: `maria${n}@example.org`,
  address_street: 'Rua das Flores',
  address_number: '100',
  address_neighbourhood: 'Jardim Ângela',
  address_city: 'São Paulo',
  address_state: 'SP',
  address_postal_code: '04917-000',
  family_income: 1250.5,
  dependents: 2,
  vulnerabilities: ['domestic_violence', 'unemployment'],
});

t.test('create and read: sensitive fields by permission, audit of sensitive reads, CPF normalised', async (t) => {
  const ctx = await buildTestApp(t);
  const writer = await userWith(ctx, ['beneficiaries:write', 'beneficiaries:read']);
  const reader = await userWith(ctx, ['beneficiaries:read']);
  const sensitive = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:read_sensitive']);
  const SENSITIVE = sensitiveOf(ctx);
  t.same(
    SENSITIVE,
    [
      'cpf',
      'nis',
      'address_street',
      'address_number',
      'address_complement',
      'address_neighbourhood',
      'address_city',
      'address_state',
      'address_postal_code',
      'family_income',
      'vulnerabilities',
    ],
    'masked: the columns classified sensitive (table order) and her vulnerabilities',
  );

  const res = await create(ctx, writer, full(1));
  t.equal(res.statusCode, 201, res.body);
  const created = res.json();
  t.match(created.code, /^B-\d{6}$/);
  t.equal(created.version, 1);
  t.equal(res.headers.etag, '"1"');
  for (const k of SENSITIVE) t.notOk(k in created, `write response to a writer without read_sensitive has no ${k}`);

  const plain = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/beneficiaries/${created.id}`,
    headers: reader.headers,
  });
  t.equal(plain.statusCode, 200);
  for (const k of SENSITIVE) t.notOk(k in plain.json(), `no ${k} without read_sensitive`);
  t.same(plain.json().enrollments, []);

  const rich = await ctx.app.inject({
    method: 'GET',
    url: `/api/v1/beneficiaries/${created.id}`,
    headers: sensitive.headers,
  });
  t.equal(rich.statusCode, 200);
  const b = rich.json();
  t.equal(b.cpf, cpf(100_000_001), 'stored as 11 digits');
  t.equal(b.address_postal_code, '04917000');
  t.equal(b.family_income, 1250.5);
  t.same(b.vulnerabilities.map((v: { code: string }) => v.code).sort(), ['domestic_violence', 'unemployment']);
  for (const k of SENSITIVE) t.ok(k in b, `a reader with read_sensitive gets ${k}`);

  const reads = await ctx.db.many<{ user_id: string; action: string }>({
    text: "SELECT user_id, action FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'read_sensitive'",
    values: [created.id],
  });
  t.same(
    reads,
    [{ user_id: sensitive.id, action: 'read_sensitive' }],
    'only the sensitive read is logged, with the reader',
  );
  const logged = await ctx.db.one<{ changes: { fields: string[] } }>({
    text: "SELECT changes FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'read_sensitive'",
    values: [created.id],
  });
  t.same(logged.changes.fields, SENSITIVE, 'the read names what it revealed: the classification, field by field');

  const insert = await ctx.db.one<{ user_id: string; changes: Record<string, { new?: unknown }> }>({
    text: "SELECT user_id, changes FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'insert'",
    values: [created.id],
  });
  t.equal(insert.user_id, writer.id, 'insert audited with the acting user');
  t.equal(insert.changes.cpf?.new, '[redacted]', 'personal data is not copied into the audit trail');
  t.equal(insert.changes.full_name?.new, 'Maria Aparecida da Silva 1');
  const history = await ctx.db.many({
    text: 'SELECT from_status, to_status, changed_by FROM beneficiary_status_history WHERE beneficiary_id = $1',
    values: [created.id],
  });
  t.same(history, [{ from_status: null, to_status: 'active', changed_by: writer.id }]);

  const lists = await ctx.app.inject({ method: 'GET', url: '/api/v1/beneficiaries', headers: sensitive.headers });
  t.equal(lists.statusCode, 200);
  for (const k of SENSITIVE) t.notOk(k in lists.json().data[0], `lists never carry ${k}`);

  const vulns = await ctx.app.inject({ method: 'GET', url: '/api/v1/vulnerabilities', headers: reader.headers });
  t.ok(vulns.json().data.length >= 10, 'catalogue seeded');
});

t.test('bad input: CPF 422, duplicate CPF 409, unknown fields 400, other constraints 422, never 500', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const bad = await create(ctx, u, { full_name: 'Ana', cpf: '529.982.247-24' });
  t.equal(bad.statusCode, 422);
  t.same(
    bad.json().errors.map((e: { path: string }) => e.path),
    ['body.cpf'],
  );
  for (const c of ['11111111111', 'abc', '123', '00000000000']) {
    t.equal((await create(ctx, u, { full_name: 'Ana', cpf: c })).statusCode, 422, `cpf ${c}`);
  }

  t.equal((await create(ctx, u, { full_name: 'Ana', cpf: '52998224725' })).statusCode, 201);
  const dup = await create(ctx, u, { full_name: 'Outra Ana', cpf: '529.982.247-25' });
  t.equal(dup.statusCode, 409);
  t.match(dup.json(), { code: 'already_exists', errors: [{ path: 'body.cpf' }] });
  t.notMatch(dup.body, /52998224725/, 'the duplicate value is not echoed');

  const unknown = await create(ctx, u, { full_name: 'Ana', is_admin: true });
  t.equal(unknown.statusCode, 400);
  t.match(unknown.json().errors, [{ path: 'body.is_admin', message: 'is not allowed' }]);

  const future = await create(ctx, u, { full_name: 'Ana', birth_date: '2999-01-01' });
  t.equal(future.statusCode, 422);
  t.match(future.json().errors, [{ path: 'body.birth_date' }]);
  t.equal((await create(ctx, u, { full_name: 'Ana', address_state: 'XX' })).statusCode, 400, 'UF outside the list');
  t.equal((await create(ctx, u, { full_name: 'Ana', family_income: -1 })).statusCode, 400);
  t.equal((await create(ctx, u, { full_name: 'Ana', dependents: -1 })).statusCode, 400);
  t.equal((await create(ctx, u, { full_name: 'Ana', vulnerabilities: ['no_such_thing'] })).statusCode, 422);
  t.equal((await create(ctx, u, { full_name: 'Ana', birth_date: '2020-02-30' })).statusCode, 400);

  // The database refuses on its own, whatever the API does (constraint names give the field).
  const direct = async (sql: string) => {
    try {
      await ctx.db.execute({ text: sql });
      return 'ok';
    } catch (err) {
      return `${(err as { status: number }).status} ${JSON.stringify((err as { errors?: unknown }).errors)}`;
    }
  };
  t.match(await direct("INSERT INTO beneficiaries (full_name, cpf) VALUES ('X', '52998224724')"), /^422 .*body\.cpf/);
  t.match(
    await direct("INSERT INTO beneficiaries (full_name, address_postal_code) VALUES ('X', '123')"),
    /^422 .*address_postal_code/,
  );
  t.match(
    await direct("INSERT INTO beneficiaries (full_name, family_income) VALUES ('X', -5)"),
    /^422 .*family_income/,
  );
  t.match(
    await direct("INSERT INTO beneficiaries (full_name, birth_date) VALUES ('X', current_date + 400)"),
    /^422 .*birth_date/,
  );

  const get = (url: string) => ctx.app.inject({ method: 'GET', url, headers: u.headers });
  t.equal((await get('/api/v1/beneficiaries?limit=101')).statusCode, 400, 'limit above 100');
  t.equal((await get('/api/v1/beneficiaries?cursor=not-a-cursor')).statusCode, 400, 'malformed cursor');
  t.equal(
    (await get(`/api/v1/beneficiaries?cursor=${Buffer.from('[1,2,3]').toString('base64url')}`)).statusCode,
    400,
    'wrong arity',
  );
  t.equal(
    (await get(`/api/v1/beneficiaries?cursor=${Buffer.from('[{"a":1},"1"]').toString('base64url')}`)).statusCode,
    400,
  );
  t.equal(
    (await get(`/api/v1/beneficiaries?sort=-created_at&cursor=${Buffer.from('["nope","1"]').toString('base64url')}`))
      .statusCode,
    400,
  );
  t.equal(
    (await get(`/api/v1/beneficiaries?q=x&cursor=${Buffer.from('["x","1"]').toString('base64url')}`)).statusCode,
    400,
  );
  t.equal((await get('/api/v1/beneficiaries?sort=password')).statusCode, 400, 'sort outside the whitelist');
  t.equal((await get('/api/v1/beneficiaries?hack=1')).statusCode, 400, 'unknown query parameter');
  t.equal((await get('/api/v1/beneficiaries/abc')).statusCode, 400);
  t.equal((await get('/api/v1/beneficiaries/999999999')).statusCode, 404);

  for (const q of [
    `'; DROP TABLE beneficiaries; --`,
    '%',
    '_',
    '\\',
    '%_\\\'"',
    "O'Brien",
    'a%b_c\\d',
    '" OR 1=1 --',
    '\u0000x',
  ]) {
    const res = await get(`/api/v1/beneficiaries?q=${encodeURIComponent(q)}`);
    t.ok(res.statusCode === 200 || res.statusCode === 400, `q=${JSON.stringify(q)} → ${res.statusCode}`);
    if (res.statusCode === 200) t.same(res.json().data, [], `q=${JSON.stringify(q)} matches nothing`);
  }
  t.equal(
    (await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM beneficiaries' })).n,
    1,
    'table intact',
  );
});

t.test('optimistic concurrency: If-Match or version, stale → 412', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const { id } = (await create(ctx, u, { full_name: 'Joana Prado' })).json();
  const patch = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/beneficiaries/${id}`,
      headers: { ...u.headers, ...headers },
      payload,
    });

  const first = await patch({ phone: '11999990000' }, { 'if-match': '"1"' });
  t.equal(first.statusCode, 200, first.body);
  t.equal(first.json().version, 2);
  t.equal(first.headers.etag, '"2"');
  const stale = await patch({ phone: '11999990001' }, { 'if-match': '"1"' });
  t.equal(stale.statusCode, 412);
  t.equal(stale.json().code, 'precondition_failed');
  t.equal((await patch({ phone: '11999990001', version: 1 })).statusCode, 412, 'stale version field');
  t.equal((await patch({ phone: '11999990001', version: 3 }, { 'if-match': '"2"' })).statusCode, 400, 'disagreeing');
  t.equal((await patch({ phone: '11999990001' }, { 'if-match': 'garbage' })).statusCode, 400);
  const ok = await patch({ phone: '11999990001', social_name: 'Jô', version: 2 });
  t.equal(ok.statusCode, 200);
  t.equal(ok.json().social_name, 'Jô');
  t.equal((await patch({ social_name: null })).json().social_name, null, 'unconditional update clears a field');
  t.equal((await patch({ version: 4 })).statusCode, 400, 'nothing to change');
  t.equal(
    (
      await ctx.app.inject({
        method: 'PATCH',
        url: '/api/v1/beneficiaries/999999',
        headers: { ...u.headers, 'if-match': '"1"' },
        payload: { phone: '11999990000' },
      })
    ).statusCode,
    404,
  );

  const audit = await ctx.db.many<{ user_id: string; changes: Record<string, unknown> }>({
    text: "SELECT user_id, changes FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'update' ORDER BY id",
    values: [id],
  });
  t.equal(audit.length, 3);
  t.ok(audit.every((a) => a.user_id === u.id));
  t.same(audit[0]!.changes.phone, { new: '11999990000' });
});

t.test('archive and restore: reason, status history, default lists, 409 on wrong state, permission', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const writerOnly = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:write']);
  const { id } = (await create(ctx, u, { full_name: 'Luiza Campos' })).json();
  const post = (action: string, payload: Record<string, unknown>, who = u) =>
    ctx.app.inject({ method: 'POST', url: `/api/v1/beneficiaries/${id}/${action}`, headers: who.headers, payload });

  t.equal((await post('archive', { reason: 'moved away' }, writerOnly)).statusCode, 403);
  t.equal((await post('archive', {})).statusCode, 400, 'reason required');
  const archived = await post('archive', { reason: 'moved away' });
  t.equal(archived.statusCode, 200);
  t.match(archived.json(), { status: 'archived', status_reason: 'moved away' });
  t.ok(archived.json().archived_at);
  t.equal((await post('archive', { reason: 'again' })).statusCode, 409);
  const listed = await ctx.app.inject({ method: 'GET', url: '/api/v1/beneficiaries', headers: u.headers });
  t.same(listed.json().data, [], 'archived records leave the default list');
  const onlyArchived = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/beneficiaries?status=archived',
    headers: u.headers,
  });
  t.equal(onlyArchived.json().data.length, 1);
  const edit = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/beneficiaries/${id}`,
    headers: u.headers,
    payload: { phone: '11999990000' },
  });
  t.equal(edit.statusCode, 409, 'archived records are read-only');

  const restored = await post('restore', { reason: 'back', version: 2 });
  t.equal(restored.statusCode, 200);
  t.match(restored.json(), { status: 'active', archived_at: null });
  t.equal((await post('restore', {})).statusCode, 409);
  const history = await ctx.db.many({
    text: 'SELECT from_status, to_status, reason, changed_by FROM beneficiary_status_history WHERE beneficiary_id = $1 ORDER BY id',
    values: [id],
  });
  t.same(history, [
    { from_status: null, to_status: 'active', reason: null, changed_by: u.id },
    { from_status: 'active', to_status: 'archived', reason: 'moved away', changed_by: u.id },
    { from_status: 'archived', to_status: 'active', reason: 'back', changed_by: u.id },
  ]);
  const inactive = await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/beneficiaries/${id}`,
    headers: u.headers,
    payload: { status: 'inactive', status_reason: 'mudou de cidade' },
  });
  t.match(inactive.json(), { status: 'inactive', status_reason: 'mudou de cidade' });
  t.equal(
    (
      await ctx.app.inject({
        method: 'PATCH',
        url: `/api/v1/beneficiaries/${id}`,
        headers: u.headers,
        payload: { status: 'archived' },
      })
    ).statusCode,
    400,
    'archiving goes through /archive',
  );
  const last = await ctx.db.one({
    text: 'SELECT from_status, to_status, reason FROM beneficiary_status_history WHERE beneficiary_id = $1 ORDER BY id DESC LIMIT 1',
    values: [id],
  });
  t.same(last, { from_status: 'active', to_status: 'inactive', reason: 'mudou de cidade' });
});

t.test('search and keyset pagination', async (t) => {
  const ctx = await buildTestApp(t);
  const u = await admin(ctx);
  const names = [
    'Maria José Conceição',
    'Mariana Souza',
    'Márcia Oliveira',
    'Antônia Ferreira',
    'Beatriz Lima',
    'Conceição Alves',
    'Francisca Nunes',
  ];
  const ids: string[] = [];
  for (const [i, n] of names.entries()) {
    const res = await create(ctx, u, {
      full_name: n,
      cpf: cpf(200_000_000 + i),
      social_name: i === 4 ? 'Bia Conceicao' : undefined,
    });
    ids.push(res.json().id);
  }
  const q = async (query: string) => {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries?${query}`, headers: u.headers });
    if (res.statusCode !== 200) t.fail(`${query}: ${res.body}`);
    return res.json() as { data: { id: string; full_name: string; code: string }[]; next_cursor: string | null };
  };

  const typo = await q('q=conceicao');
  t.ok(
    typo.data.some((b) => b.full_name === 'Maria José Conceição'),
    'accents ignored',
  );
  t.ok(
    typo.data.some((b) => b.full_name === 'Beatriz Lima'),
    'social name searched',
  );
  t.ok(
    (await q('q=Conseicao')).data.some((b) => b.full_name === 'Conceição Alves'),
    'a typo tolerated',
  );
  t.ok(
    (await q('q=ANTONIA')).data.some((b) => b.full_name === 'Antônia Ferreira'),
    'case ignored',
  );
  const byCpf = await q(`q=${cpf(200_000_003).replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4')}`);
  t.same(
    byCpf.data.map((b) => b.full_name),
    ['Antônia Ferreira'],
    'exact CPF',
  );
  const first = byCpf.data[0]!;
  t.same(
    (await q(`q=${first.code.toLowerCase()}`)).data.map((b) => b.id),
    [first.id],
    'exact code',
  );

  // Paged search: every match once, ranked.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await q(`q=maria&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.data.map((b) => b.id));
    cursor = page.next_cursor;
  } while (cursor);
  const all = await q('q=maria&limit=100');
  t.same(
    seen,
    all.data.map((b) => b.id),
    'keyset over [score, id] visits each match once, in order',
  );
  t.equal(all.data[0]?.full_name, 'Maria José Conceição', 'best match first');

  for (const sort of ['name', '-name', 'created_at', '-created_at']) {
    const pages: string[] = [];
    let c: string | null = null;
    do {
      const page = await q(`sort=${sort}&limit=3${c ? `&cursor=${c}` : ''}`);
      pages.push(...page.data.map((b) => b.full_name));
      c = page.next_cursor;
    } while (c);
    t.equal(pages.length, names.length, `${sort}: every row once`);
    t.equal(new Set(pages).size, names.length);
    if (sort === 'name')
      t.same(
        pages,
        [...names].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)),
        'sorted by name',
      );
    if (sort === 'created_at') t.same(pages, names, 'creation order');
  }

  const noSensitive = await userWith(ctx, ['beneficiaries:read']);
  const forbidden = await ctx.app.inject({
    method: 'GET',
    url: '/api/v1/beneficiaries?neighbourhood=Centro',
    headers: noSensitive.headers,
  });
  t.equal(forbidden.statusCode, 403, 'filtering by address needs read_sensitive');
  await ctx.app.inject({
    method: 'PATCH',
    url: `/api/v1/beneficiaries/${ids[1]}`,
    headers: u.headers,
    payload: { address_neighbourhood: 'Jardim Ângela' },
  });
  t.same(
    (await q('neighbourhood=jardim%20angela')).data.map((b) => b.id),
    [ids[1]],
  );
  const today = (
    await ctx.db.one<{ d: string }>({ text: "SELECT (now() AT TIME ZONE 'America/Sao_Paulo')::date AS d" })
  ).d;
  t.equal((await q(`created_from=${today}&created_to=${today}`)).data.length, names.length);
  t.equal((await q('created_to=2000-01-01')).data.length, 0);
  t.equal((await q('project_id=1')).data.length, 0);
});

t.test('a revoked session gets 401 and no data on its next read, and no audit row is written', async (t) => {
  const ctx = await buildTestApp(t);
  const writer = await userWith(ctx, ['beneficiaries:write', 'beneficiaries:read']);
  const reader = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:read_sensitive']);
  const { id } = (await create(ctx, writer, full(90))).json() as { id: string };
  const read = () => ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries/${id}`, headers: reader.headers });
  t.equal((await read()).statusCode, 200, 'the session reads while it is active (its state is now cached)');

  const logout = await ctx.app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: reader.headers });
  t.equal(logout.statusCode, 204);
  const audits = async () =>
    (
      await ctx.db.one<{ n: number }>({
        text: "SELECT count(*)::int AS n FROM audit_log WHERE table_name = 'beneficiaries' AND row_id = $1 AND action = 'read_sensitive'",
        values: [id],
      })
    ).n;
  const before = await audits();
  const res = await read();
  t.equal(res.statusCode, 401, 'the very next read is refused');
  t.notMatch(res.body, /Maria Aparecida|full_name|cpf/, 'and carries no data');
  t.equal(await audits(), before, 'no sensitive read is recorded for it');
});

t.test('CPF and NIS lookups need beneficiaries:read_sensitive and are recorded in the audit trail', async (t) => {
  const ctx = await buildTestApp(t);
  const a = await admin(ctx);
  const ana = (await create(ctx, a, { full_name: 'Ana Lookup', cpf: cpf(300_000_001), nis: '10987654321' })).json();
  await create(ctx, a, { full_name: 'Bia Lookup', cpf: cpf(300_000_002) });
  const list = (u: TestUser, q: string) =>
    ctx.app.inject({ method: 'GET', url: `/api/v1/beneficiaries?q=${encodeURIComponent(q)}`, headers: u.headers });
  const formattedCpf = cpf(300_000_001).replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4');

  const reader = await userWith(ctx, ['beneficiaries:read']);
  for (const q of [cpf(300_000_001), formattedCpf, '10987654321', '109.87654.32-1', '00000000000']) {
    const res = await list(reader, q);
    t.equal(res.statusCode, 403, `${q} without read_sensitive`);
    t.match(res.json().detail, /beneficiaries:read_sensitive/, 'names the permission');
  }
  t.equal((await list(reader, 'Ana Lookup')).statusCode, 200, 'names are still searchable');
  t.equal((await list(reader, '12345')).statusCode, 200, 'digits that are no CPF or NIS are plain text');

  const holder = await userWith(ctx, ['beneficiaries:read', 'beneficiaries:read_sensitive']);
  const audit = () =>
    ctx.db.many<{ row_id: string; changes: Record<string, unknown> }>({
      text: "SELECT row_id, changes FROM audit_log WHERE action = 'read_sensitive' AND user_id = $1 ORDER BY id",
      values: [holder.id],
    });
  for (const q of [formattedCpf, '109.87654.32-1']) {
    const res = await list(holder, q);
    t.equal(res.statusCode, 200);
    t.same(
      res.json().data.map((b: { id: string }) => b.id),
      [ana.id],
      `${q} finds her`,
    );
    t.notOk('cpf' in res.json().data[0], 'a list still carries no sensitive field');
  }
  t.same((await list(holder, cpf(300_000_009))).json().data, [], 'an unknown CPF finds nobody');
  t.same(await audit(), [
    { row_id: ana.id, changes: { lookup: 'cpf_or_nis' } },
    { row_id: ana.id, changes: { lookup: 'cpf_or_nis' } },
    { row_id: '-', changes: { lookup: 'cpf_or_nis', matches: 0 } },
  ]);
  t.equal((await list(holder, 'Ana Lookup')).statusCode, 200);
  t.equal((await audit()).length, 3, 'a name search is not a sensitive lookup');
});
