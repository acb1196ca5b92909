// The reports: definitions, each report's figures against a model of the data, filters, permissions, the refresh
// (log, as_of, one at a time, timeout, reads during a refresh) and the exports (CSV and XLSX).
import t from 'tap';
import pg from 'pg';
import ExcelJS from 'exceljs';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith, type TestUser } from '../helpers/auth.js';
import { waitFor } from '../helpers/wait.js';
import { createReportFixture } from './report-fixtures.js';
import { REFRESH_LOCK_KEY, REPORT_NAMES, type ReportsService } from '../../apps/backend/src/modules/reports/index.js';
import { defuse } from '../../apps/backend/src/modules/reports/export.js';

type Cell = { value: number | null; suppressed: boolean };
type Row = Record<string, string | number | null | Cell>;
const cell = (r: Row | undefined, field: string) => r?.[field] as Cell;

async function setup(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const ctx = await buildTestApp(t, { env });
  const fx = await createReportFixture(ctx);
  const boss = await admin(ctx);
  const refreshed = await ctx.app.inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: boss.headers });
  if (refreshed.statusCode !== 200) throw new Error(refreshed.body);
  return { ctx, fx, boss };
}

const get = async (ctx: TestContext, u: TestUser, url: string) => {
  const res = await ctx.app.inject({ method: 'GET', url: `/api/v1/reports${url}`, headers: u.headers });
  return {
    status: res.statusCode,
    body: res.json() as { rows: Row[]; as_of: string; refresh_id: string } & Record<string, unknown>,
  };
};

const distinct = <T>(xs: T[]) => new Set(xs).size;

t.test('GET /reports lists the five reports with their fields and the as_of of the views', async (t) => {
  const ctx = await buildTestApp(t);
  const viewer = await userWith(ctx, { role: 'viewer' });
  const res = await get(ctx, viewer, '');
  t.equal(res.status, 200);
  const list = res.body as unknown as {
    data: { name: string; fields: { name: string; kind: string }[] }[];
    as_of: string;
    min_cell: number;
  };
  t.same(
    list.data.map((d) => d.name),
    [...REPORT_NAMES],
  );
  t.ok(
    list.data.every((d) => d.fields.some((f) => f.kind === 'count')),
    'every report has counts',
  );
  t.ok(list.as_of, 'the views made by the migration are logged');
  t.equal(list.min_cell, 5);
  const nobody = await userWith(ctx, ['beneficiaries:read']);
  t.equal((await get(ctx, nobody, '')).status, 403);
  t.equal((await get(ctx, nobody, '/attendance')).status, 403);
});

t.test('the figures of every report match a model of the data', async (t) => {
  const { ctx, fx, boss } = await setup(t);
  const { marks, seats, enrolments, women, specs } = fx;
  const march = marks.filter((m) => m.day.startsWith('2026-03'));

  // Attendance, March, project 0: the small workshop (4 women) is suppressed, and so is its only sibling, else
  // it would be the project's total minus the big one.
  const att = await get(ctx, boss, `/attendance?from=2026-03&to=2026-03&project_id=${fx.projects[0]}`);
  t.equal(att.status, 200);
  t.ok(att.body.as_of && att.body.refresh_id);
  const p0 = march.filter((m) => specs[m.workshop]!.project === 0);
  const total = att.body.rows.find((r) => r.workshop_id === null)!;
  t.equal(total.sessions_held, distinct(p0.map((m) => `${m.workshop}/${m.day}`)));
  t.same(cell(total, 'participants'), { value: distinct(p0.map((m) => m.woman)), suppressed: false });
  t.same(cell(total, 'marks'), { value: p0.length, suppressed: false });
  t.same(cell(total, 'present'), { value: p0.filter((m) => m.present).length, suppressed: false });
  t.equal(
    cell(total, 'attendance_rate').value,
    Math.round((p0.filter((m) => m.present).length / p0.length) * 10_000) / 10_000,
  );
  const small = att.body.rows.find((r) => r.workshop_id === fx.workshops[1])!;
  const big = att.body.rows.find((r) => r.workshop_id === fx.workshops[0])!;
  for (const f of ['participants', 'marks', 'present', 'attendance_rate'])
    t.same(cell(small, f), { value: null, suppressed: true }, `small workshop ${f} suppressed`);
  t.same(cell(big, 'participants'), { value: null, suppressed: true }, 'its complement');
  t.equal(big.sessions_held, distinct(p0.filter((m) => m.workshop === 0).map((m) => m.day)), 'sessions are not people');
  t.equal(big.workshop_title, '=SOMA(1;2) Costura');

  // Enrolment funnel: February, each project.
  const funnel = await get(ctx, boss, '/enrollment_funnel?from=2026-02&to=2026-02');
  for (const [i, projectId] of fx.projects.entries()) {
    const es = enrolments.filter((e) => e.month === '2026-02' && e.project === i);
    const row = funnel.body.rows.find((r) => r.project_id === projectId)!;
    const count = (...s: string[]) => es.filter((e) => s.includes(e.status)).length;
    const expected: Record<string, number> = {
      requested: es.length,
      pending: count('pending'),
      rejected: count('rejected'),
      approved: count('approved', 'withdrawn', 'completed'),
      active: count('approved'),
      withdrawn: count('withdrawn'),
      completed: count('completed'),
    };
    for (const [f, v] of Object.entries(expected)) {
      const c = cell(row, f);
      if (c.suppressed) t.ok(v === 0 || v >= 1, `${f} suppressed`);
      else t.equal(c.value, v, `project ${i} ${f}`);
      if (v >= 1 && v < 5) t.equal(c.suppressed, true, `${f} = ${v} is suppressed`);
    }
  }

  // People served in March, organisation-wide: present at least once; one city whatever its spelling.
  const served = await get(ctx, boss, '/people_served?from=2026-03&to=2026-03');
  const present = new Set(march.filter((m) => m.present).map((m) => m.woman));
  t.same(
    cell(
      served.body.rows.find((r) => r.level === 'total'),
      'people',
    ),
    { value: present.size, suppressed: false },
  );
  const cities = served.body.rows.filter((r) => r.level === 'city');
  t.same(
    cities.map((r) => r.city),
    ['Recife', 'São Paulo', null].filter((c) => cities.some((r) => r.city === c)),
    'São Paulo and SAO PAULO are one city; not informed last',
  );
  const sp = women.filter((w) => present.has(w.n) && w.city?.trim().toLowerCase().startsWith('s'));
  t.same(
    cell(
      cities.find((r) => r.city === 'São Paulo'),
      'people',
    ),
    { value: sp.length, suppressed: false },
  );
  const byProject = await get(ctx, boss, `/people_served?from=2026-03&to=2026-03&project_id=${fx.projects[1]}`);
  const p1 = new Set(march.filter((m) => m.present && specs[m.workshop]!.project === 1).map((m) => m.woman));
  t.equal(cell(byProject.body.rows[0], 'people').value, p1.size);
  t.ok(byProject.body.rows.every((r) => r.project_id === fx.projects[1]));

  // Age band at the month's last day: nobody in a band she is not in on 2026-03-31.
  const bands = served.body.rows.filter((r) => r.level === 'age_band').map((r) => r.age_band);
  t.ok(bands.every((b) => ['0-17', '18-29', '30-44', '45-59', '60+', 'unknown'].includes(b as string)));

  // Vulnerability prevalence among the women served in March.
  const vul = await get(ctx, boss, '/vulnerability_prevalence?from=2026-03&to=2026-03');
  t.same(cell(vul.body.rows[0], 'people'), { value: present.size, suppressed: false }, 'first row: women served');
  const first = vul.body.rows[1]!;
  const withFirst = [...present].filter((n) => n % 2 === 0).length;
  t.same(cell(first, 'people'), { value: withFirst, suppressed: false });
  t.equal(cell(first, 'prevalence').value, Math.round((withFirst / present.size) * 10_000) / 10_000);

  // Capacity use in March: seats taken by March 31 (everyone joined in February).
  const cap = await get(ctx, boss, `/capacity_use?from=2026-03&to=2026-03&project_id=${fx.projects[1]}`);
  const seats1 = seats.filter((s) => s.workshop === 2).length;
  const w2 = cap.body.rows.find((r) => r.workshop_id === fx.workshops[2])!;
  t.equal(w2.capacity, 60);
  t.same(cell(w2, 'seats'), { value: seats1, suppressed: false });
  t.same(cell(w2, 'use_rate'), { value: Math.round((seats1 / 60) * 10_000) / 10_000, suppressed: false });
  const cap0 = await get(ctx, boss, `/capacity_use?from=2026-02&to=2026-06&project_id=${fx.projects[0]}`);
  t.same(
    [...new Set(cap0.body.rows.map((r) => r.month))],
    ['2026-02', '2026-03', '2026-04', '2026-05', '2026-06'].filter((m) => m <= new Date().toISOString().slice(0, 7)),
    'every month of the run up to now',
  );
  t.ok(
    cap0.body.rows.filter((r) => r.workshop_id === fx.workshops[1]).every((r) => cell(r, 'seats').suppressed),
    'four seats: suppressed',
  );
});

t.test('filters: period, project; bad ones are 400, an unknown project 404', async (t) => {
  const { ctx, fx, boss } = await setup(t);
  const all = await get(ctx, boss, '/attendance?from=2026-03&to=2026-04');
  t.same([...new Set(all.body.rows.map((r) => r.month))], ['2026-03', '2026-04']);
  t.same([...new Set(all.body.rows.map((r) => r.project_id))].sort(), [...fx.projects].sort());
  const april = await get(ctx, boss, '/attendance?from=2026-04&to=2026-04');
  t.same(
    april.body.rows,
    all.body.rows.filter((r) => r.month === '2026-04'),
    'a block is the same whatever the period asked: suppression never depends on the filter',
  );
  const one = await get(ctx, boss, `/attendance?from=2026-03&to=2026-04&project_id=${fx.projects[1]}`);
  t.same(
    one.body.rows,
    all.body.rows.filter((r) => r.project_id === fx.projects[1]),
    'nor on the project asked',
  );
  t.equal(all.body.from, '2026-03');
  const def = await get(ctx, boss, '/capacity_use');
  t.equal(def.status, 200);
  t.equal(String(def.body.from) < String(def.body.to), true, 'default: the last 12 months');
  for (const [q, path] of <[string, string][]>[
    ['from=2026-05&to=2026-04', 'querystring.from'],
    ['from=2020-01&to=2026-04', 'querystring.from'],
    ['from=2026-13', 'querystring.from'],
    ['to=26-01', 'querystring.to'],
    ['project_id=abc', 'querystring.project_id'],
  ]) {
    const res = await get(ctx, boss, `/attendance?${q}`);
    t.equal(res.status, 400, q);
    t.match(res.body, { errors: [{ path }] }, q);
  }
  t.equal((await get(ctx, boss, '/attendance?project_id=999999')).status, 404);
  t.equal((await get(ctx, boss, '/no_such_report')).status, 404);
});

t.test('refresh: logged with who asked, as_of moves, one at a time, reads go on during a refresh', async (t) => {
  const { ctx, fx } = await setup(t, { REPORT_REFRESH_TIMEOUT_MS: '5000' });
  const coordinator = await userWith(ctx, { role: 'coordinator' });
  const viewer = await userWith(ctx, { role: 'viewer' });
  t.equal(
    (await ctx.app.inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: viewer.headers })).statusCode,
    403,
  );

  const before = await get(ctx, viewer, '/attendance?from=2026-03&to=2026-03');
  const res = await ctx.app.inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: coordinator.headers });
  t.equal(res.statusCode, 200);
  const refresh = res.json();
  t.match(refresh, {
    trigger: 'user',
    requested_by: coordinator.id,
    source: null,
    status: 'succeeded',
    timezone: 'America/Sao_Paulo',
  });
  t.same(Object.keys(refresh.views).sort(), [
    'report_attendance',
    'report_capacity',
    'report_enrollments',
    'report_served',
    'report_vulnerabilities',
  ]);
  t.ok(refresh.views.report_attendance.rows > 0);
  const after = await get(ctx, viewer, '/attendance?from=2026-03&to=2026-03');
  t.equal(after.body.refresh_id, refresh.id);
  t.ok(new Date(after.body.as_of) > new Date(before.body.as_of), 'as_of is the newest refresh');
  const log = await get(ctx, viewer, '/refreshes?limit=2');
  t.equal((log.body as unknown as { data: { id: string }[] }).data[0]!.id, refresh.id, 'newest first');

  // Another refresh holds the lock: 409, nothing logged, the views unchanged.
  const other = new pg.Client({ connectionString: ctx.database.url });
  await other.connect();
  t.teardown(() => other.end());
  await other.query('BEGIN');
  await other.query('SELECT pg_advisory_xact_lock($1::bigint)', [REFRESH_LOCK_KEY]);
  const busy = await ctx.app.inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: coordinator.headers });
  t.equal(busy.statusCode, 409);
  t.equal(busy.json().code, 'refresh_running');
  await other.query('ROLLBACK');

  // A refresh stuck behind a lock on a base table: the report is still read (CONCURRENTLY keeps readers going),
  // then the statement timeout ends the refresh, which is logged as failed; as_of does not move.
  await ctx.db.execute({
    text: 'UPDATE attendance SET present = NOT present WHERE workshop_id = $1',
    values: [fx.workshops[2]],
  });
  await other.query('BEGIN');
  await other.query('LOCK TABLE attendance IN ACCESS EXCLUSIVE MODE');
  const stuck = ctx.app
    .inject({ method: 'POST', url: '/api/v1/reports/refresh', headers: coordinator.headers })
    .then((r) => r);
  const refreshWaiting = async () => {
    // `other` is inside a transaction, where pg_stat_activity is a snapshot taken once: clear it each time.
    await other.query('SELECT pg_stat_clear_snapshot()');
    const { rowCount } = await other.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'REFRESH MATERIALIZED VIEW CONCURRENTLY%'
          AND wait_event_type = 'Lock'`,
    );
    return rowCount === 1;
  };
  await waitFor(refreshWaiting, { timeout: 10_000, what: 'the refresh waiting for the lock' });
  const during = await get(ctx, viewer, '/capacity_use?from=2026-03&to=2026-03');
  t.equal(during.status, 200, 'read while a refresh runs');
  t.ok(await refreshWaiting(), 'the refresh was still running during the read');
  const failed = await stuck;
  await other.query('ROLLBACK');
  t.equal(failed.statusCode, 503, 'the statement timeout');
  const latest = (await get(ctx, viewer, '/refreshes?limit=1')).body as unknown as { data: Record<string, unknown>[] };
  t.match(latest.data[0], { status: 'failed', error_code: '57014', requested_by: coordinator.id });
  t.equal((await get(ctx, viewer, '/attendance')).body.refresh_id, refresh.id, 'as_of still the last success');
});

t.test(
  'refreshAll(trigger) is the service function a schedule calls: logged by its name, skipped while one runs',
  async (t) => {
    // The jobs module (issue 14) reaches the service as `app.reports` inside /api/v1, as this test does.
    let reports: ReportsService | undefined;
    const ctx = await buildTestApp(t, { extendApi: (api) => (reports = api.reports) });
    await createReportFixture(ctx);
    const viewer = await userWith(ctx, { role: 'viewer' });
    const scheduled = await reports!.refreshAll({ schedule: 'reports.refresh' });
    t.match(scheduled, { trigger: 'schedule', source: 'reports.refresh', requested_by: null, status: 'succeeded' });
    t.ok(scheduled.views.report_attendance!.rows > 0, 'the fixture is in the views');
    const after = await get(ctx, viewer, '/attendance?from=2026-03&to=2026-03');
    t.equal(after.body.refresh_id, scheduled.id, "the schedule's refresh is the as_of");
    t.equal(after.body.as_of, scheduled.started_at.toISOString());
    t.ok(after.body.rows.length > 0);

    const other = new pg.Client({ connectionString: ctx.database.url });
    await other.connect();
    t.teardown(() => other.end());
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1::bigint)', [REFRESH_LOCK_KEY]);
    await t.rejects(reports!.refreshAll({ schedule: 'reports.refresh' }), { status: 409, code: 'refresh_running' });
    await other.query('ROLLBACK');
    const log = (await get(ctx, viewer, '/refreshes?limit=1')).body as unknown as { data: { id: string }[] };
    t.equal(log.data[0]!.id, scheduled.id, 'a skipped turn is not logged as a refresh');

    const startup = await reports!.refreshAll({ system: 'startup' });
    t.match(startup, { trigger: 'system', source: 'startup', requested_by: null, status: 'succeeded' });
  },
);

const exportOf = (ctx: TestContext, u: TestUser, url: string) =>
  ctx.app.inject({ method: 'GET', url: `/api/v1/reports${url}`, headers: u.headers });

t.test('CSV export: BOM, the same rows and suppression as the JSON, formulas defused, no names', async (t) => {
  const { ctx, boss } = await setup(t);
  for (const name of REPORT_NAMES) {
    const json = await get(ctx, boss, `/${name}?from=2026-02&to=2026-04`);
    const res = await exportOf(ctx, boss, `/${name}/export?from=2026-02&to=2026-04`);
    t.equal(res.statusCode, 200, name);
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    t.match(res.headers['content-disposition'], new RegExp(`attachment; filename="${name}_2026-02_2026-04\\.csv"`));
    t.equal(res.headers['x-report-as-of'], json.body.as_of);
    const raw = res.rawPayload;
    // No report lists a person: the fixture's women are all "Pessoa <n>"; no field is about one woman.
    t.notMatch(JSON.stringify(json.body), /Pessoa/, `${name}: no names in the JSON`);
    t.notMatch(raw.toString('utf8'), /Pessoa/, `${name}: no names in the CSV`);
    t.notOk(
      json.body.rows.some((r) =>
        Object.keys(r).some((k) => /beneficiar|name$/.test(k) && !/^(project|vulnerability)_name$/.test(k)),
      ),
      `${name}: no field names a woman`,
    );
    t.same([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${name}: UTF-8 BOM`);
    const lines = raw.toString('utf8').slice(1).trimEnd().split('\r\n');
    t.equal(lines.length, json.body.rows.length + 1, `${name}: a header and every row`);
    const header = lines[0]!.split(',');
    // Suppressed cells are empty; every shown count is in the CSV as in the JSON.
    const firstRow = json.body.rows[0]!;
    const fields = parseCsvLine(lines[1]!);
    header.forEach((h, i) => {
      const v = firstRow[h];
      const expected =
        v && typeof v === 'object' ? (v.value === null ? '' : String(v.value)) : v === null ? '' : String(v);
      t.equal(fields[i], expected, `${name}.${h}`);
    });
  }
  const att = (await exportOf(ctx, boss, '/attendance/export?from=2026-03&to=2026-03')).rawPayload.toString('utf8');
  t.match(att, `,"'=SOMA(1;2) Costura",`, 'a formula is text');
  t.match(att, '"Bordado, ""avançado"""', 'quotes doubled, accents kept');
  t.notMatch(att, /,=SOMA/);
  t.equal(defuse('-1+2'), "'-1+2");
  t.equal(defuse('@cmd'), "'@cmd");
  t.equal(defuse('\tx'), "'\tx");
  t.equal(defuse('\rx'), "'\rx");
  t.equal(defuse('+1'), "'+1");
  t.equal(defuse('Maré'), 'Maré');
});

t.test('XLSX export: opens, text stays text, the row cap refuses before sending anything', async (t) => {
  const { ctx, boss } = await setup(t, { REPORT_XLSX_MAX_ROWS: '8' });
  const res = await exportOf(ctx, boss, '/attendance/export?format=xlsx&from=2026-03&to=2026-03');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  const sheet = book.worksheets[0]!;
  const json = await get(ctx, boss, '/attendance?from=2026-03&to=2026-03');
  t.equal(sheet.rowCount, json.body.rows.length + 1);
  const header = (sheet.getRow(1).values as unknown[]).slice(1);
  t.same(header.slice(0, 3), ['month', 'project_id', 'project_name']);
  let formulas = 0;
  sheet.eachRow((row) => row.eachCell((c) => (formulas += c.formula ? 1 : 0)));
  t.equal(formulas, 0, 'no formula cell');
  const titleCol = header.indexOf('workshop_title') + 1;
  const titles = sheet.getColumn(titleCol).values.filter(Boolean);
  t.ok(titles.includes('=SOMA(1;2) Costura'), 'the title is a text cell');
  t.ok(titles.includes('Bordado, "avançado"'), 'accents and quotes kept');
  const big = await exportOf(ctx, boss, '/people_served/export?format=xlsx&from=2026-02&to=2026-04');
  t.equal(big.statusCode, 422);
  t.match(big.json(), { errors: [{ path: 'querystring.format' }] });
});

/** One CSV record (RFC 4180 quoting). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
