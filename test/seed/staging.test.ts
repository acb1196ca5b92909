// The staging data generator (scripts/seed-staging.ts) on small sizes: determinism, idempotency,
// protection, and the rules the data must obey.
import t from 'tap';
import pg from 'pg';
import { loadConfig } from '../../apps/backend/src/config.js';
import {
  generateStagingData,
  GENERATED_TABLES,
  type StagingReport,
} from '../../apps/backend/scripts/staging/generate.js';
import { cpfFor } from '../../apps/backend/scripts/staging/cpf.js';
import { isValidCpf } from '../../apps/backend/src/platform/documents.js';
import { copyRows } from '../../apps/backend/scripts/staging/copy.js';
import { BATCH_TRIGGERS, triggersOff } from '../../apps/backend/scripts/staging/triggers.js';
import { BatchVerificationFailed, VERIFIED_RULES, verifyBatch } from '../../apps/backend/scripts/staging/verify.js';
import { parseStagingArgs } from '../../apps/backend/scripts/seed-staging.js';
import { createTestDatabase } from '../helpers/db.js';
import { TEST_ADMIN } from '../setup/paths.js';

const SIZE = 300;
const AS_OF = '2026-11-25';
const baseEnv = { NODE_ENV: 'test', SEED_ADMIN_EMAIL: TEST_ADMIN.email, SEED_ADMIN_PASSWORD: TEST_ADMIN.password };
const config = loadConfig(baseEnv);
const run = (url: string, extra: { seed?: number; force?: boolean; config?: typeof config } = {}) =>
  generateStagingData({
    connectionString: url,
    config: extra.config ?? config,
    beneficiaries: SIZE,
    seed: extra.seed ?? 42,
    asOf: AS_OF,
    batchSize: 128,
    force: extra.force,
    log: () => {},
  });
const inserted = (r: StagingReport) => Object.values(r).reduce((n, c) => n + c.inserted, 0);

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/**
 * md5 of every generated table ordered by its key, without the columns a trigger stamps with now()
 * (updated_at after the status UPDATEs). Table names come from GENERATED_TABLES, quoted by format().
 */
async function checksums(url: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of [...GENERATED_TABLES, 'workshop_schedule']) {
    const [{ sql }] = (await query<{ sql: string }>(
      url,
      `SELECT format('SELECT md5(coalesce(string_agg((to_jsonb(t) - %L)::text, %L ORDER BY t::text), %L)) AS sum FROM %I t', 'updated_at', '|', '', $1::text) AS sql`,
      [table],
    )) as [{ sql: string }];
    out[table] = (await query<{ sum: string }>(url, sql))[0]!.sum;
  }
  return out;
}

t.test('same seed → identical data on two databases; a second run inserts nothing', async (t) => {
  const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  t.teardown(() => Promise.all([a.drop(), b.drop()]).then(() => undefined));
  const first = await run(a.url);
  t.equal(first.beneficiaries!.inserted, SIZE, 'every beneficiary inserted');
  for (const table of GENERATED_TABLES) t.ok(first[table]!.inserted > 0, `${table}: rows generated`);
  t.ok(
    Object.values(first).every((c) => c.skipped === 0),
    'nothing skipped on an empty database',
  );
  await run(b.url);
  const sumA = await checksums(a.url);
  t.same(await checksums(b.url), sumA, 'identical checksums of every generated table');

  const batchAudit = `SELECT count(*)::int AS n FROM audit_log WHERE table_name = 'staging_generator'`;
  const auditRows = (await query<{ n: number }>(a.url, batchAudit))[0]!.n;
  const again = await run(a.url);
  t.equal(inserted(again), 0, 'second run inserts nothing');
  t.equal((await query<{ n: number }>(a.url, batchAudit))[0]!.n, auditRows, 'and writes no audit row');
  t.equal(again.beneficiaries!.skipped, SIZE, 'and reports every beneficiary as skipped');
  t.same(await checksums(a.url), sumA, 'checksums unchanged by the second run');

  const other = await createTestDatabase();
  t.teardown(() => other.drop());
  await run(other.url, { seed: 7 });
  t.not((await checksums(other.url)).beneficiaries, sumA.beneficiaries, 'another seed gives other data');
});

t.test('the data obeys the rules', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await run(db.url);
  const cpfs = await query<{ cpf: string }>(
    db.url,
    `SELECT cpf FROM beneficiaries WHERE code LIKE 'B-9%' AND cpf IS NOT NULL`,
  );
  t.ok(cpfs.length > SIZE * 0.9, 'most have a CPF');
  t.ok(
    cpfs.every((r) => isValidCpf(r.cpf)),
    'every CPF has valid check digits',
  );
  t.equal(new Set(cpfs.map((r) => r.cpf)).size, cpfs.length, 'CPFs are unique');

  const statuses = await query<{ status: string }>(db.url, 'SELECT DISTINCT status FROM enrollments ORDER BY 1');
  t.same(
    statuses.map((r) => r.status),
    ['approved', 'completed', 'pending', 'rejected', 'withdrawn'],
    'every enrolment status present',
  );
  const history = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM beneficiary_status_history WHERE from_status IS NOT NULL`,
  );
  t.ok(history[0]!.n > 0, 'some status changes recorded in the history');

  const over = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM workshops w WHERE (SELECT count(*) FROM workshop_participants p WHERE p.workshop_id = w.id) > w.capacity
        OR w.participant_count <> (SELECT count(*) FROM workshop_participants p WHERE p.workshop_id = w.id)`,
  );
  t.equal(over[0]!.n, 0, 'capacity never exceeded; participant_count matches');
  const notApproved = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM workshop_participants p JOIN enrollments e ON e.id = p.enrollment_id WHERE e.status <> 'approved'`,
  );
  t.equal(notApproved[0]!.n, 0, 'participants only from approved enrolments');
  const badDays = await query<{ n: number; total: number }>(
    db.url,
    `SELECT count(*) FILTER (WHERE a.session_date NOT BETWEEN w.start_date AND w.end_date
                               OR NOT extract(isodow FROM a.session_date)::smallint = ANY (w.weekdays)
                               OR a.session_date >= $1::date)::int AS n, count(*)::int AS total
       FROM attendance a JOIN workshops w ON w.id = a.workshop_id`,
    [AS_OF],
  );
  t.ok(badDays[0]!.total > 0, 'attendance generated');
  t.equal(badDays[0]!.n, 0, 'attendance only on scheduled session days before the as-of day');

  // The audit trail: per-row auditing is off during each batch, one summary row per batch instead.
  const batches = await query<{ row_id: string; changes: Record<string, unknown>; user_id: string | null }>(
    db.url,
    `SELECT row_id, changes, user_id FROM audit_log WHERE table_name = 'staging_generator' AND action = 'insert' ORDER BY id`,
  );
  t.same(
    batches.map((b) => b.row_id),
    ['B-90000001..B-90000128', 'B-90000129..B-90000256', 'B-90000257..B-90000300'],
    'one audit row per batch (128 per batch)',
  );
  t.equal(
    batches.reduce((n, b) => n + Number(b.changes.beneficiaries), 0),
    SIZE,
    'counting every beneficiary',
  );
  t.match(batches[0]!.changes, {
    generator: 'seed:staging',
    seed: 42,
    as_of: AS_OF,
    enrollments: Number,
    attendance: Number,
  });
  t.same(
    batches[0]!.changes.rule_triggers_off,
    BATCH_TRIGGERS.filter((x) => x.kind === 'rule').map((x) => x.trigger),
    'it names the rule triggers that were off',
  );
  t.same(batches[0]!.changes.verified_before_commit, VERIFIED_RULES, 'and the checks that stood in for them');
  const perRow = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM audit_log
      WHERE table_name IN ('beneficiaries', 'beneficiary_vulnerabilities', 'enrollments', 'workshop_participants', 'attendance')
         OR table_name = 'workshops' AND action = 'update'`,
  );
  t.equal(perRow[0]!.n, 0, 'no per-row audit rows for the batch tables');
  const off = await query<{ tgname: string }>(
    db.url,
    `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`,
  );
  t.same(off, [], 'every trigger is enabled again after the run');

  // What the disabled triggers derived, the batch wrote itself: the same rows the triggers would have left.
  const chain = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM (
      SELECT h.from_status IS DISTINCT FROM lag(h.to_status) OVER w AS broken FROM beneficiary_status_history h
      WINDOW w AS (PARTITION BY h.beneficiary_id ORDER BY h.id)) x WHERE broken`,
  );
  t.equal(chain[0]!.n, 0, 'every history row starts from the previous status');
  const latest = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM beneficiaries b
      CROSS JOIN LATERAL (SELECT h.to_status, count(*) OVER ()::int AS steps, h.changed_at FROM beneficiary_status_history h
                           WHERE h.beneficiary_id = b.id ORDER BY h.id DESC LIMIT 1) l
      WHERE b.code LIKE 'B-9%' AND (b.status, b.version, b.updated_at) IS DISTINCT FROM (l.to_status, l.steps, l.changed_at)`,
  );
  t.equal(latest[0]!.n, 0, 'status, version and updated_at follow the last history row');
  const versions = await query<{ status: string; versions: number[] }>(
    db.url,
    `SELECT status, array_agg(DISTINCT version ORDER BY version) AS versions FROM enrollments GROUP BY status ORDER BY status`,
  );
  t.same(
    versions,
    [
      { status: 'approved', versions: [2] },
      { status: 'completed', versions: [3] },
      { status: 'pending', versions: [1] },
      { status: 'rejected', versions: [2] },
      { status: 'withdrawn', versions: [3] },
    ],
    'enrolment versions count the decisions of pending → approved|rejected → withdrawn|completed',
  );
  const ids = await query<{ ordered: boolean }>(
    db.url,
    `SELECT bool_and(id > prev) AS ordered FROM (
      SELECT id, lag(id, 1, 0::bigint) OVER (ORDER BY code) AS prev FROM beneficiaries WHERE code LIKE 'B-9%') x`,
  );
  t.ok(ids[0]!.ordered, 'beneficiary ids follow plan order');

  const timeline = await query<{
    decided_early: number;
    history_backwards: number;
    seat_early: number;
    before_registration: number;
  }>(
    db.url,
    `SELECT (SELECT count(*) FROM enrollments WHERE decided_at < created_at)::int AS decided_early,
            (SELECT count(*) FROM (SELECT changed_at < lag(changed_at) OVER (PARTITION BY beneficiary_id ORDER BY id) AS back
                                     FROM beneficiary_status_history) x WHERE back)::int AS history_backwards,
            (SELECT count(*) FROM workshop_participants p JOIN enrollments e ON e.id = p.enrollment_id
              WHERE p.created_at < coalesce(e.decided_at, e.created_at))::int AS seat_early,
            (SELECT count(*) FROM enrollments e JOIN beneficiaries b ON b.id = e.beneficiary_id WHERE e.created_at < b.created_at)::int AS before_registration`,
  );
  t.same(
    timeline[0],
    { decided_early: 0, history_backwards: 0, seat_early: 0, before_registration: 0 },
    'time runs forward: registration, request, decision, seat; status history in order',
  );
});

t.test('the pre-commit verification rejects a batch that breaks a rule of the disabled triggers', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await run(db.url);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  t.teardown(() => c.end());
  const [{ first, last }] = (
    await c.query<{ first: string; last: string }>(
      `SELECT min(id) AS first, max(id) AS last FROM beneficiaries WHERE code LIKE 'B-9%'`,
    )
  ).rows as [{ first: string; last: string }];
  const batch = { batch: 'B-90000001..B-90000300', firstId: first, lastId: last, asOf: AS_OF };

  await verifyBatch(c, batch);
  t.pass('the generated data passes its own verification');

  // Break one rule of each disabled trigger, with the triggers off as in a batch, then roll it all back.
  await c.query('BEGIN');
  await triggersOff(c);
  await c.query(`UPDATE beneficiaries SET birth_date = now()::date + 30 WHERE id = $1`, [first]);
  await c.query(
    `DELETE FROM beneficiary_status_history WHERE id = (SELECT max(id) FROM beneficiary_status_history WHERE beneficiary_id = $1)`,
    [last],
  );
  await c.query(
    `UPDATE enrollments SET status = 'completed', decided_at = created_at WHERE id = (SELECT min(id) FROM enrollments WHERE status = 'pending' AND beneficiary_id BETWEEN $1 AND $2)`,
    [first, last],
  );
  await c.query(
    `UPDATE enrollments SET status = 'rejected' WHERE id = (SELECT min(enrollment_id) FROM workshop_participants WHERE beneficiary_id BETWEEN $1 AND $2)`,
    [first, last],
  );
  await c.query(
    `UPDATE workshops SET participant_count = participant_count - 1
                  WHERE id = (SELECT min(workshop_id) FROM workshop_participants WHERE beneficiary_id BETWEEN $1 AND $2)`,
    [first, last],
  );
  const sheet = (
    await c.query<{ workshop_id: string; beneficiary_id: string; end_date: string }>(
      `SELECT a.workshop_id, a.beneficiary_id, w.end_date::text
      FROM attendance a JOIN workshops w ON w.id = a.workshop_id WHERE a.beneficiary_id BETWEEN $1 AND $2 ORDER BY a.workshop_id, a.beneficiary_id LIMIT 1`,
      [first, last],
    )
  ).rows[0]!;
  await c.query(
    `INSERT INTO attendance (workshop_id, session_date, beneficiary_id, present) VALUES ($1, $2::date + 1, $3, true)`,
    [sheet.workshop_id, sheet.end_date, sheet.beneficiary_id],
  );
  // Moments the state triggers would have refused: an enrolment requested after her archive (in a project
  // still open), one requested after its closed project ended, a seat taken after its closed workshop ended.
  const moments = [
    `UPDATE enrollments e SET created_at = b.archived_at + interval '1 minute' FROM beneficiaries b
      WHERE e.id = (SELECT min(e2.id) FROM enrollments e2 JOIN beneficiaries b2 ON b2.id = e2.beneficiary_id
                      JOIN projects p2 ON p2.id = e2.project_id
                     WHERE b2.status = 'archived' AND p2.status IN ('planning', 'active') AND b2.id BETWEEN $1 AND $2)
        AND b.id = e.beneficiary_id`,
    `UPDATE enrollments e SET created_at = (p.end_date + 1) + time '10:00' FROM projects p
      WHERE e.id = (SELECT min(e2.id) FROM enrollments e2 JOIN beneficiaries b2 ON b2.id = e2.beneficiary_id
                      JOIN projects p2 ON p2.id = e2.project_id
                     WHERE b2.status <> 'archived' AND p2.status = 'completed' AND b2.id BETWEEN $1 AND $2)
        AND p.id = e.project_id`,
    `UPDATE workshop_participants wp SET created_at = (w.end_date + 1) + time '10:00' FROM workshops w
      WHERE (wp.workshop_id, wp.beneficiary_id) = (
              SELECT p2.workshop_id, min(p2.beneficiary_id)
                FROM workshop_participants p2 JOIN workshops w2 ON w2.id = p2.workshop_id
               WHERE w2.status = 'completed' AND p2.beneficiary_id BETWEEN $1 AND $2
               GROUP BY p2.workshop_id ORDER BY p2.workshop_id LIMIT 1)
        AND w.id = wp.workshop_id`,
  ];
  for (const sql of moments) t.equal((await c.query(sql, [first, last])).rowCount, 1, 'one row moved in time');
  // An enrolment moved into a project whose purpose rests on consent she never gave.
  const consentProject = (
    await c.query<{ id: string }>(
      `INSERT INTO projects (name, start_date, end_date, coordinator_id, purpose_code, status)
       SELECT 'Projeto com consentimento', DATE '2020-01-01', DATE '2030-12-31', min(id), 'workshop_participation', 'active'
         FROM users RETURNING id`,
    )
  ).rows[0]!.id;
  t.equal(
    (
      await c.query(
        `UPDATE enrollments SET project_id = $3
          WHERE id = (SELECT min(e.id) FROM enrollments e WHERE e.status = 'pending' AND e.beneficiary_id BETWEEN $1 AND $2
                        AND NOT EXISTS (SELECT 1 FROM workshop_participants wp WHERE wp.enrollment_id = e.id))`,
        [first, last, consentProject],
      )
    ).rowCount,
    1,
  );
  const err = await verifyBatch(c, batch).then(
    () => null,
    (e: unknown) => e,
  );
  await c.query('ROLLBACK');
  t.ok(err instanceof BatchVerificationFailed, 'the verification throws');
  t.same(
    (err as BatchVerificationFailed).failures,
    {
      birth_date_in_future: 1,
      status_history_missing: 1,
      enrollment_inconsistent: 1,
      enrollment_while_archived: 1,
      enrollment_after_project_closed: 1,
      enrollment_without_consent: 1,
      participant_not_approved: 1,
      participant_after_workshop_closed: 1,
      workshop_count_wrong: 1,
      attendance_not_session: 1,
    },
    'naming each broken rule with its count',
  );
  t.match(
    (err as Error).message,
    /B-90000001\.\.B-90000300 failed its pre-commit verification and was rolled back: 1 beneficiaries born after today/,
  );

  await c.query('BEGIN');
  await c.query(
    `UPDATE beneficiary_status_history SET from_status = to_status WHERE id = (SELECT min(id) FROM beneficiary_status_history WHERE beneficiary_id = $1)`,
    [first],
  );
  const broken = await verifyBatch(c, batch).then(
    () => null,
    (e: unknown) => e,
  );
  await c.query('ROLLBACK');
  t.same(
    (broken as BatchVerificationFailed).failures,
    { status_history_broken: 1 },
    'a history row that is no change breaks the chain',
  );
  await verifyBatch(c, batch);
  t.pass('and the rolled-back breakage is gone');
  t.same(
    (await c.query(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`)).rows,
    [],
    'every trigger enabled again (the rollback)',
  );
});

t.test('a batch failing its verification is rolled back whole, triggers on again', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  // An as-of day decades ahead puts birth dates after today: the birth-date rule of the disabled guard trigger.
  const far = generateStagingData({
    connectionString: db.url,
    config,
    beneficiaries: 20,
    seed: 3,
    asOf: `${new Date().getUTCFullYear() + 73}-06-01`,
    log: () => {},
  });
  await t.rejects(far, BatchVerificationFailed);
  await t.rejects(
    far,
    /B-90000001\.\.B-90000020 failed its pre-commit verification and was rolled back: \d+ beneficiaries born after today/,
  );
  const left = await query<{ n: number }>(
    db.url,
    `SELECT (SELECT count(*) FROM beneficiaries WHERE code LIKE 'B-9%') + (SELECT count(*) FROM enrollments)
      + (SELECT count(*) FROM audit_log WHERE table_name = 'staging_generator') AS n`,
  );
  t.equal(Number(left[0]!.n), 0, 'nothing of the batch was committed');
  t.same(
    await query(db.url, `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`),
    [],
    'every trigger enabled',
  );
});

t.test('someone else holding a generated CPF: that person is skipped with her rows, the rest goes in', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  for (let n = 1; n <= 5; n++)
    await query(db.url, `INSERT INTO beneficiaries (full_name, cpf) VALUES ($1, $2)`, [`Titular ${n}`, cpfFor(42, n)]);
  const report = await run(db.url);
  const missing = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM generate_series(90000001, 90000005) g
      WHERE NOT EXISTS (SELECT 1 FROM beneficiaries WHERE code = 'B-' || g)`,
  );
  t.ok(missing[0]!.n > 0, 'people whose CPF was taken were skipped');
  t.equal(report.beneficiaries!.skipped, missing[0]!.n, 'and reported as skipped');
  t.equal(report.beneficiaries!.inserted, SIZE - missing[0]!.n, 'everyone else inserted');
  const orphans = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM enrollments e JOIN beneficiaries b ON b.id = e.beneficiary_id WHERE b.code NOT LIKE 'B-9%'`,
  );
  t.equal(orphans[0]!.n, 0, 'no generated rows hang from the foreign records');
  t.equal(
    (
      await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM beneficiaries WHERE full_name LIKE 'Titular %'`,
      )
    )[0]!.n,
    5,
    'the foreign records untouched',
  );
});

t.test('refuses production and protected databases unless --force', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const production = loadConfig({
    ...baseEnv,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:1',
    JWT_SECRET: 'x'.repeat(32),
  });
  await t.rejects(run(db.url, { config: production }), /NODE_ENV=production.*--force/);
  const protectedByName = loadConfig({ ...baseEnv, PROTECTED_DATABASES: `other, ${db.name.toUpperCase()}` });
  await t.rejects(run(db.url, { config: protectedByName }), /PROTECTED_DATABASES/);
  const protectedByHost = loadConfig({ ...baseEnv, PROTECTED_DATABASES: new URL(db.url).hostname });
  await t.rejects(run(db.url, { config: protectedByHost }), /PROTECTED_DATABASES/);
  t.equal(
    (await query<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM beneficiaries WHERE code LIKE 'B-9%'`))[0]!.n,
    0,
    'nothing written',
  );
  const forced = await generateStagingData({
    connectionString: db.url,
    config: protectedByName,
    beneficiaries: 5,
    seed: 1,
    asOf: AS_OF,
    force: true,
    log: () => {},
  });
  t.equal(forced.beneficiaries!.inserted, 5, '--force overrides');
});

t.test('argument errors are one clear line; CPFs are valid and unique', async (t) => {
  t.throws(() => parseStagingArgs(['--beneficiaries', 'many']), /--beneficiaries must be an integer from 1/);
  t.throws(() => parseStagingArgs(['--seed', '-1']), /--seed/);
  t.throws(() => parseStagingArgs(['--as-of', '2026-02-30']), /--as-of must be a date/);
  t.throws(() => parseStagingArgs(['--bogus']), /Unknown option '--bogus'/);
  t.same(parseStagingArgs(['--beneficiaries', '100000', '--seed', '42']), {
    beneficiaries: 100000,
    seed: 42,
    batchSize: 5000,
    force: false,
  });
  const seen = new Set<string>();
  for (let n = 1; n <= 20_000; n++) seen.add(cpfFor(42, n));
  t.equal(seen.size, 20_000, 'no two sequence numbers share a CPF');
  t.ok([...seen].every(isValidCpf));
  t.ok(isValidCpf('52998224725'), 'a known valid CPF');
  t.notOk(isValidCpf('52998224724'));
  t.notOk(isValidCpf('11111111111'));
});

t.test('COPY quotes the table and column names it is given, whatever they hold', async (t) => {
  const db = await createTestDatabase({ template: false });
  t.teardown(db.drop);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  t.teardown(() => c.end());
  const table = 'odd "table"; DROP TABLE x; --';
  const column = 'a column';
  await c.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (${pg.escapeIdentifier(column)} text, plain int)`);
  await copyRows(
    c,
    table,
    [column, 'plain'],
    [
      ['tab\there', 1],
      [null, 2],
    ],
  );
  const { rows } = await c.query(`SELECT * FROM ${pg.escapeIdentifier(table)} ORDER BY plain`);
  t.same(rows, [
    { [column]: 'tab\there', plain: 1 },
    { [column]: null, plain: 2 },
  ]);
});
