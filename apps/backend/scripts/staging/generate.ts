// The staging data generator: plan in memory (deterministic), then write in batches of beneficiaries.
// Each batch is one transaction: COPY into temporary tables, then one INSERT ... SELECT per table into the
// real tables (natural keys mapped to ids by joins), so every constraint and trigger of the schema still
// applies (status history, enrolment transitions, capacity, scheduled sessions) except the per-row audit
// trigger, which the batch replaces with one audit_log row (audit.ts). A beneficiary whose code already
// exists is skipped together with everything that hangs from her: a re-run inserts nothing.
import pg from 'pg';
import type { Config } from '../../src/config.js';
import { runInitialSeed } from '../../src/database/seed/initial-data.js';
import { BENEFICIARY_COLUMNS, generateBeneficiary, type GeneratedBeneficiary } from './beneficiary.js';
import { copyRows, type Cell } from './copy.js';
import { dayOf, isoDay, stamp, todayIn } from './dates.js';
import { buildPlan, type Plan } from './plan.js';
import { auditBatch, auditOff, auditOn } from './audit.js';
import { checkTarget } from './protect.js';
import { TEMP_TABLES } from './sql.js';
import * as SQL from './sql.js';

export interface StagingOptions {
  connectionString: string;
  config: Config;
  beneficiaries: number;
  seed: number;
  /** The generator's "today" (YYYY-MM-DD): defaults to today in ORG_TIMEZONE. Pin it to reproduce a data set. */
  asOf?: string;
  batchSize?: number;
  force?: boolean;
  log: (line: string) => void;
  progress?: (done: number, total: number, rows: number) => void;
}

export interface TableCount {
  inserted: number;
  skipped: number;
}
export type StagingReport = Record<string, TableCount>;

/** Tables the generator writes, in dependency order (their order in reports and checksums). */
export const GENERATED_TABLES = [
  'users', 'projects', 'workshops', 'beneficiaries', 'beneficiary_status_history', 'beneficiary_vulnerabilities',
  'enrollments', 'workshop_participants', 'attendance',
] as const;

/** Beneficiaries per transaction: larger batches spread the per-batch work (ALTER TABLE, ANALYZE, plans). */
export const DEFAULT_BATCH_SIZE = 5_000;

/** Any constant distinct from the other advisory locks: one generator per database at a time. */
export const STAGING_LOCK_KEY = '7130525948213806447';

export async function generateStagingData(o: StagingOptions): Promise<StagingReport> {
  checkTarget({ url: o.connectionString, nodeEnv: o.config.NODE_ENV, protectedDatabases: o.config.PROTECTED_DATABASES, force: o.force ?? false, log: o.log });
  const asOf = o.asOf ? dayOf(o.asOf) : todayIn(o.config.ORG_TIMEZONE);
  const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;

  // The catalogues (roles, vulnerabilities) come from the idempotent initial seed: a no-op when it already ran.
  await runInitialSeed({ connectionString: o.connectionString, config: o.config, log: o.log, withSamples: false });

  const client = new pg.Client({ connectionString: o.connectionString, application_name: 'acolhe-seed-staging' });
  await client.connect();
  const report: StagingReport = Object.fromEntries(GENERATED_TABLES.map((t) => [t, { inserted: 0, skipped: 0 }]));
  try {
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [STAGING_LOCK_KEY]);
    if (!lock[0]!.ok) throw new Error('another seed:staging run holds the lock on this database; wait for it to finish');
    // Batches are re-runnable, so losing the last ones in a crash costs a re-run, not data: skip the fsync wait.
    await client.query("SET synchronous_commit = off; SET statement_timeout = 0; SET lock_timeout = '30s'");
    for (const ddl of TEMP_TABLES) await client.query(ddl);

    const vulnerabilityIds = (await client.query<{ id: string }>('SELECT id FROM vulnerabilities WHERE active ORDER BY code')).rows.map((r) => r.id);
    if (vulnerabilityIds.length === 0) o.log('note: the vulnerability catalogue is empty, so no beneficiary_vulnerabilities rows are generated');

    const plan = buildPlan(o.seed, o.beneficiaries, asOf);
    o.log(`seed ${o.seed}, as of ${isoDay(asOf)}: ${o.beneficiaries} beneficiaries, ${plan.projects.length} projects, ${plan.workshops.length} workshops, ${plan.staff.length} staff accounts`);
    const ids = await writeShared(client, plan, report);

    let done = 0;
    let rows = 0;
    const generate = (from: number) => generateBatch(plan, from, Math.min(o.beneficiaries, from + batchSize - 1), vulnerabilityIds);
    let next = generate(1);
    for (let from = 1; from <= o.beneficiaries; from += batchSize) {
      const to = Math.min(o.beneficiaries, from + batchSize - 1);
      const batch = await next;
      // The next batch is generated while this one's statements run in PostgreSQL.
      next = to < o.beneficiaries ? generate(to + 1) : Promise.resolve([]);
      next.catch(() => {}); // a failure surfaces at its await; never as an unhandled rejection
      rows += await writeBatch(client, batch, ids, report, { seed: o.seed, asOf: isoDay(asOf) });
      done = to;
      o.progress?.(done, o.beneficiaries, rows);
    }
    if (rows > 0) await client.query(SQL.ANALYZE_TARGETS);
    return report;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Beneficiaries from..to in sequence order (seats are first come, first served), yielding to the event
 * loop every few hundred so the generation overlaps the previous batch's database work.
 */
async function generateBatch(plan: Plan, from: number, to: number, vulnerabilityIds: readonly string[]): Promise<GeneratedBeneficiary[]> {
  const batch: GeneratedBeneficiary[] = [];
  for (let n = from; n <= to; n++) {
    batch.push(generateBeneficiary(plan, n, vulnerabilityIds));
    if ((n - from) % 250 === 249) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return batch;
}

const CREATED_BY = BENEFICIARY_COLUMNS.indexOf('created_by');

interface RunInfo {
  seed: number;
  asOf: string;
}

interface Ids {
  staff: string[];
  projects: string[];
  workshops: string[];
}

async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

function count(report: StagingReport, table: string, planned: number, inserted: number) {
  report[table]!.inserted += inserted;
  report[table]!.skipped += planned - inserted;
}

/** Staff accounts, projects and workshops, by natural key (e-mail, name, project + title). */
async function writeShared(client: pg.Client, plan: Plan, report: StagingReport): Promise<Ids> {
  return inTransaction(client, async () => {
    const firstDay = Math.min(...plan.projects.map((p) => p.start)) - 30;
    const created = stamp(firstDay, 9 * 60);
    await copyRows(client, 'stg_users', ['ord', 'email', 'name', 'password_hash', 'role', 'created_at'],
      plan.staff.map((s, i) => [i, s.email, s.name, s.passwordHash, s.role, created]));
    count(report, 'users', plan.staff.length, (await client.query(SQL.INSERT_USERS)).rowCount ?? 0);
    const staff = (await client.query<{ id: string }>(SQL.SELECT_USERS)).rows.map((r) => r.id);
    if (staff.length !== plan.staff.length) throw new Error('staging staff accounts are missing after insert');

    await copyRows(client, 'stg_projects', ['ord', 'name', 'description', 'status', 'start_date', 'end_date', 'coordinator_id', 'created_at'],
      plan.projects.map((p) => [p.index, p.name, p.description, p.status, isoDay(p.start), isoDay(p.end), staff[p.coordinator]!, stamp(p.start - 30, 10 * 60)]));
    count(report, 'projects', plan.projects.length, (await client.query(SQL.INSERT_PROJECTS)).rowCount ?? 0);
    const projects = await client.query<{ id: string; ours: boolean }>(SQL.SELECT_PROJECTS);
    const foreign = projects.rows.findIndex((r) => !r.ours);
    if (projects.rows.length !== plan.projects.length || foreign >= 0) {
      throw new Error(`project "${plan.projects[Math.max(0, foreign)]?.name}" already exists with other dates or coordinator: run seed:staging on a database without it`);
    }

    await copyRows(client, 'stg_workshops',
      ['ord', 'project_ord', 'title', 'description', 'facilitator_id', 'location', 'start_date', 'end_date', 'weekdays', 'start_time', 'end_time', 'capacity', 'status', 'created_at'],
      plan.workshops.map((w) => [
        w.index, w.project, w.title, w.description, staff[w.facilitator]!, w.location, isoDay(w.start), isoDay(w.end),
        `{${w.weekdays.join(',')}}`, w.startTime, w.endTime, w.capacity, w.status, stamp(plan.projects[w.project]!.start - 20, 11 * 60),
      ]));
    count(report, 'workshops', plan.workshops.length, (await client.query(SQL.INSERT_WORKSHOPS)).rowCount ?? 0);
    const workshops = (await client.query<{ id: string }>(SQL.SELECT_WORKSHOPS)).rows.map((r) => r.id);
    if (workshops.length !== plan.workshops.length) throw new Error('staging workshops are missing after insert');
    return { staff, projects: projects.rows.map((r) => r.id), workshops };
  });
}

/** One batch of beneficiaries with their related rows, in one transaction. Returns the rows inserted. */
async function writeBatch(client: pg.Client, batch: GeneratedBeneficiary[], ids: Ids, report: StagingReport, run: RunInfo): Promise<number> {
  const user = (i: number) => ids.staff[i]!;
  const rows = {
    b: batch.map((b) => b.row.map((v, k) => (k === CREATED_BY ? user(v as number) : v))),
    s: batch.flatMap((b) => b.statuses.map((s, step) => [b.code, step, s.status, s.reason, s.at, user(s.by)])),
    v: batch.flatMap((b) => b.vulnerabilities.map((v) => [b.code, v.id, v.at, user(b.row[CREATED_BY] as number)])),
    e: batch.flatMap((b) =>
      b.enrollments.map((e) => [
        b.code, ids.projects[e.project]!, e.created, e.notes, e.status, user(e.by),
        e.first?.at, e.first ? user(e.first.by) : null, e.first?.note, e.second?.at, e.second ? user(e.second.by) : null, e.second?.note,
      ]),
    ),
    p: batch.flatMap((b) => b.seats.map((s) => [b.code, ids.projects[s.project]!, ids.workshops[s.workshop]!, s.at, user(s.by)])),
    a: batch.flatMap((b) => b.attendance.map((a) => [b.code, ids.workshops[a.workshop]!, a.day, a.present, a.note, a.at, user(a.by)])),
  } satisfies Record<string, Cell[][]>;
  const statusUpdates = rows.s.filter((s) => (s[1] as number) > 0).length;
  const planned = { b: rows.b.length, h: rows.b.length + statusUpdates, v: rows.v.length, e: rows.e.length, p: rows.p.length, a: rows.a.length };
  const codes = batch.map((b) => b.code);

  // A re-run: every code of the batch exists, so nothing is copied, locked or written.
  const existing = (await client.query<{ n: number }>(SQL.COUNT_EXISTING, [codes])).rows[0]!.n;
  if (existing === codes.length) {
    count(report, 'beneficiaries', planned.b, 0);
    count(report, 'beneficiary_status_history', planned.h, 0);
    count(report, 'beneficiary_vulnerabilities', planned.v, 0);
    count(report, 'enrollments', planned.e, 0);
    count(report, 'workshop_participants', planned.p, 0);
    count(report, 'attendance', planned.a, 0);
    return 0;
  }

  return inTransaction(client, async () => {
    await copyRows(client, 'stg_beneficiaries', BENEFICIARY_COLUMNS, rows.b);
    await copyRows(client, 'stg_statuses', ['code', 'step', 'status', 'reason', 'at', 'by_user'], rows.s);
    await copyRows(client, 'stg_vulnerabilities', ['code', 'vulnerability_id', 'created_at', 'created_by'], rows.v);
    await copyRows(client, 'stg_enrollments',
      ['code', 'project_id', 'created_at', 'notes', 'final_status', 'created_by', 'first_at', 'first_by', 'first_note', 'second_at', 'second_by', 'second_note'], rows.e);
    await copyRows(client, 'stg_participants', ['code', 'project_id', 'workshop_id', 'created_at', 'created_by'], rows.p);
    await copyRows(client, 'stg_attendance', ['code', 'workshop_id', 'session_date', 'present', 'note', 'created_at', 'created_by'], rows.a);
    await auditOff(client);

    const inserted = (await client.query(SQL.INSERT_BENEFICIARIES)).rowCount ?? 0;
    // Temporary tables have no statistics until analysed: without them the joins below pick plans that
    // scan the growing real tables once per batch (quadratic over a 100k run).
    await client.query(SQL.ANALYZE_TEMP);
    count(report, 'beneficiaries', planned.b, inserted);
    // Status changes go through UPDATE so the trigger writes the history; then the history gets the planned times.
    let history = inserted;
    for (const step of [1, 2]) history += (await client.query(SQL.UPDATE_BENEFICIARY_STATUS, [step])).rowCount ?? 0;
    await client.query(SQL.DATE_STATUS_HISTORY);
    count(report, 'beneficiary_status_history', planned.h, history);
    const vulns = (await client.query(SQL.INSERT_VULNERABILITIES)).rowCount ?? 0;
    count(report, 'beneficiary_vulnerabilities', planned.v, vulns);
    // Enrolments are born pending (the transition trigger insists) and then decided, like in the API.
    const enrolments = (await client.query(SQL.INSERT_ENROLLMENTS)).rowCount ?? 0;
    count(report, 'enrollments', planned.e, enrolments);
    await client.query(SQL.ANALYZE_ENROLLED);
    await client.query(SQL.DECIDE_ENROLLMENTS);
    const participants = (await client.query(SQL.INSERT_PARTICIPANTS)).rowCount ?? 0;
    count(report, 'workshop_participants', planned.p, participants);
    await client.query(SQL.CLOSE_ENROLLMENTS);
    const attendance = (await client.query(SQL.INSERT_ATTENDANCE)).rowCount ?? 0;
    count(report, 'attendance', planned.a, attendance);

    await auditOn(client);
    const total = inserted + history + vulns + enrolments + participants + attendance;
    if (total > 0) {
      await auditBatch(client, {
        first: codes[0]!, last: codes.at(-1)!, seed: run.seed, asOf: run.asOf,
        inserted: { beneficiaries: inserted, beneficiary_status_history: history, beneficiary_vulnerabilities: vulns, enrollments: enrolments, workshop_participants: participants, attendance },
      });
    }
    return total;
  });
}
