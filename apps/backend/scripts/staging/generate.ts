// The staging data generator: plan in memory (deterministic), then write in batches of beneficiaries.
// Each batch is one transaction and a bulk load like pg_restore's: it takes the tables' write locks and
// switches their per-row audit and rule triggers off (triggers.ts), COPYs every row straight into the real
// tables in its final state (ids from the identity sequences, in plan order; no UPDATE passes), derives what
// the triggers derived (status history, participant_count), verifies set-based that the batch obeys every
// rule those triggers enforce (verify.ts), switches them on again and writes one audit_log row (audit.ts).
// Constraints (FK, CHECK, UNIQUE, EXCLUDE) apply throughout. A beneficiary whose code (or CPF) already exists
// is skipped together with everything that hangs from her: a re-run inserts nothing.
import pg from 'pg';
import type { Config } from '../../src/config.js';
import { runInitialSeed } from '../../src/database/seed/initial-data.js';
import { generateBeneficiary, type GeneratedBeneficiary } from './beneficiary.js';
import { copyRows, copyStatement, copyText } from './copy.js';
import { dayOf, isoDay, stamp, todayIn } from './dates.js';
import { buildPlan, type Plan } from './plan.js';
import { auditBatch } from './audit.js';
import { triggersOff, triggersOn } from './triggers.js';
import { verifyBatch } from './verify.js';
import { checkTarget } from './protect.js';
import {
  BATCH_COLUMNS,
  BATCH_TABLES,
  idsNeeded,
  prepareBeneficiary,
  tableCopyText,
  type BatchTable,
  type FirstIds,
  type PreparedBeneficiary,
  type SharedIds,
} from './rows.js';
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
  'users',
  'projects',
  'workshops',
  'beneficiaries',
  'beneficiary_status_history',
  'beneficiary_vulnerabilities',
  'enrollments',
  'workshop_participants',
  'attendance',
] as const;

/** Beneficiaries per transaction: larger batches spread the per-batch work (ALTER TABLE, ANALYZE, plans). */
export const DEFAULT_BATCH_SIZE = 5_000;

/** Any constant distinct from the other advisory locks: one generator per database at a time. */
export const STAGING_LOCK_KEY = '7130525948213806447';

export async function generateStagingData(o: StagingOptions): Promise<StagingReport> {
  checkTarget({
    url: o.connectionString,
    nodeEnv: o.config.NODE_ENV,
    protectedDatabases: o.config.PROTECTED_DATABASES,
    force: o.force ?? false,
    log: o.log,
  });
  const asOf = o.asOf ? dayOf(o.asOf) : todayIn(o.config.ORG_TIMEZONE);
  const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;

  // The catalogues (roles, vulnerabilities) come from the idempotent initial seed: a no-op when it already ran.
  await runInitialSeed({ connectionString: o.connectionString, config: o.config, log: o.log, withSamples: false });

  const client = new pg.Client({ connectionString: o.connectionString, application_name: 'acolhe-seed-staging' });
  await client.connect();
  const report: StagingReport = Object.fromEntries(GENERATED_TABLES.map((t) => [t, { inserted: 0, skipped: 0 }]));
  try {
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
      STAGING_LOCK_KEY,
    ]);
    if (!lock[0]!.ok)
      throw new Error('another seed:staging run holds the lock on this database; wait for it to finish');
    // Batches are re-runnable, so losing the last ones in a crash costs a re-run, not data: skip the fsync wait.
    await client.query("SET synchronous_commit = off; SET statement_timeout = 0; SET lock_timeout = '30s'");
    for (const ddl of TEMP_TABLES) await client.query(ddl);

    const vulnerabilityIds = (
      await client.query<{ id: string }>('SELECT id FROM vulnerabilities WHERE active ORDER BY code')
    ).rows.map((r) => r.id);
    if (vulnerabilityIds.length === 0)
      o.log('note: the vulnerability catalogue is empty, so no beneficiary_vulnerabilities rows are generated');

    const plan = buildPlan(o.seed, o.beneficiaries, asOf);
    o.log(
      `seed ${o.seed}, as of ${isoDay(asOf)}: ${o.beneficiaries} beneficiaries, ${plan.projects.length} projects, ${plan.workshops.length} workshops, ${plan.staff.length} staff accounts`,
    );
    // The first batch's people are generated while the shared rows are written (they need only the plan).
    const ids = writeShared(client, plan, report);
    ids.catch(() => {}); // awaited below
    const generate = (from: number) =>
      prepareBatch(plan, from, Math.min(o.beneficiaries, from + batchSize - 1), vulnerabilityIds, ids);
    let next = generate(1);
    next.catch(() => {}); // a failure surfaces at its await; never as an unhandled rejection
    await ids;

    let done = 0;
    let rows = 0;
    for (let from = 1; from <= o.beneficiaries; from += batchSize) {
      const to = Math.min(o.beneficiaries, from + batchSize - 1);
      const batch = await next;
      // The next batch is generated and encoded while this one's statements run in PostgreSQL.
      next = to < o.beneficiaries ? generate(to + 1) : Promise.resolve([]);
      next.catch(() => {}); // a failure surfaces at its await; never as an unhandled rejection
      rows += await writeBatch(client, batch, report, { seed: o.seed, asOf: isoDay(asOf) });
      done = to;
      o.progress?.(done, o.beneficiaries, rows);
    }
    if (rows > 0) await analyzeTargets(client, o.connectionString);
    return report;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Beneficiaries from..to in sequence order (seats are first come, first served), then their rows encoded
 * (which needs the shared ids), yielding to the event loop every few dozen so this overlaps the database
 * work of the previous batch (or, for the first, of the shared rows) without delaying its statements.
 */
async function prepareBatch(
  plan: Plan,
  from: number,
  to: number,
  vulnerabilityIds: readonly string[],
  ids: Promise<SharedIds>,
): Promise<PreparedBeneficiary[]> {
  const breathe = (k: number) => (k % 50 === 49 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined);
  const people: GeneratedBeneficiary[] = [];
  for (let n = from; n <= to; n++) {
    people.push(generateBeneficiary(plan, n, vulnerabilityIds));
    await breathe(n - from);
  }
  const shared = await ids;
  const batch: PreparedBeneficiary[] = [];
  for (const [k, b] of people.entries()) {
    batch.push(prepareBeneficiary(b, shared));
    await breathe(k);
  }
  return batch;
}

/**
 * Fresh statistics once after a load that inserted rows, for the API's first queries on staging:
 * beneficiaries (most of the work) and the other tables side by side, on two connections.
 */
async function analyzeTargets(client: pg.Client, connectionString: string): Promise<void> {
  const other = new pg.Client({ connectionString, application_name: 'acolhe-seed-staging' });
  await other.connect();
  try {
    await Promise.all([client.query(SQL.ANALYZE_BENEFICIARIES), other.query(SQL.ANALYZE_OTHER_TARGETS)]);
  } finally {
    await other.end().catch(() => {});
  }
}

interface RunInfo {
  seed: number;
  asOf: string;
}

/** BEGIN, fn, COMMIT (or ROLLBACK: on an error, or when fn calls discard because it has nothing to keep). */
async function inTransaction<T>(client: pg.Client, fn: (discard: () => void) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  let keep = true;
  try {
    const out = await fn(() => {
      keep = false;
    });
    await client.query(keep ? 'COMMIT' : 'ROLLBACK');
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
async function writeShared(client: pg.Client, plan: Plan, report: StagingReport): Promise<SharedIds> {
  return inTransaction(client, async () => {
    const firstDay = Math.min(...plan.projects.map((p) => p.start)) - 30;
    const created = stamp(firstDay, 9 * 60);
    await copyRows(
      client,
      'stg_users',
      ['ord', 'email', 'name', 'password_hash', 'role', 'created_at'],
      plan.staff.map((s, i) => [i, s.email, s.name, s.passwordHash, s.role, created]),
    );
    count(report, 'users', plan.staff.length, (await client.query(SQL.INSERT_USERS)).rowCount ?? 0);
    const staff = (await client.query<{ id: string }>(SQL.SELECT_USERS)).rows.map((r) => r.id);
    if (staff.length !== plan.staff.length) throw new Error('staging staff accounts are missing after insert');

    await copyRows(
      client,
      'stg_projects',
      ['ord', 'name', 'description', 'status', 'start_date', 'end_date', 'coordinator_id', 'created_at'],
      plan.projects.map((p) => [
        p.index,
        p.name,
        p.description,
        p.status,
        isoDay(p.start),
        isoDay(p.end),
        staff[p.coordinator]!,
        stamp(p.start - 30, 10 * 60),
      ]),
    );
    count(report, 'projects', plan.projects.length, (await client.query(SQL.INSERT_PROJECTS)).rowCount ?? 0);
    const projects = await client.query<{ id: string; ours: boolean }>(SQL.SELECT_PROJECTS);
    const foreign = projects.rows.findIndex((r) => !r.ours);
    if (projects.rows.length !== plan.projects.length || foreign >= 0) {
      throw new Error(
        `project "${plan.projects[Math.max(0, foreign)]?.name}" already exists with other dates or coordinator: run seed:staging on a database without it`,
      );
    }

    await copyRows(
      client,
      'stg_workshops',
      [
        'ord',
        'project_ord',
        'title',
        'description',
        'facilitator_id',
        'location',
        'start_date',
        'end_date',
        'weekdays',
        'start_time',
        'end_time',
        'capacity',
        'status',
        'created_at',
      ],
      plan.workshops.map((w) => [
        w.index,
        w.project,
        w.title,
        w.description,
        staff[w.facilitator]!,
        w.location,
        isoDay(w.start),
        isoDay(w.end),
        `{${w.weekdays.join(',')}}`,
        w.startTime,
        w.endTime,
        w.capacity,
        w.status,
        stamp(plan.projects[w.project]!.start - 20, 11 * 60),
      ]),
    );
    count(report, 'workshops', plan.workshops.length, (await client.query(SQL.INSERT_WORKSHOPS)).rowCount ?? 0);
    const workshops = (await client.query<{ id: string }>(SQL.SELECT_WORKSHOPS)).rows.map((r) => r.id);
    if (workshops.length !== plan.workshops.length) throw new Error('staging workshops are missing after insert');
    return { staff, projects: projects.rows.map((r) => r.id), workshops };
  });
}

/**
 * One batch of beneficiaries with their related rows, in one transaction. Returns the rows inserted.
 * A generated CPF is unique within the data set, so only someone else's record can hold one: then the unique
 * index refuses the COPY, and the batch is run again, this time skipping the people whose CPF is taken.
 */
async function writeBatch(
  client: pg.Client,
  batch: PreparedBeneficiary[],
  report: StagingReport,
  run: RunInfo,
): Promise<number> {
  try {
    return await writeBatchOnce(client, batch, report, run, false);
  } catch (err) {
    if ((err as { constraint?: string }).constraint !== 'beneficiaries_cpf_key') throw err;
    return writeBatchOnce(client, batch, report, run, true);
  }
}

async function writeBatchOnce(
  client: pg.Client,
  batch: PreparedBeneficiary[],
  report: StagingReport,
  run: RunInfo,
  askCpfs: boolean,
): Promise<number> {
  const codes = batch.map((b) => b.code);
  const range = `${codes[0]}..${codes.at(-1)}`;
  const tally = (written: readonly PreparedBeneficiary[]) => {
    const inserted = new Set(written);
    for (const b of batch)
      for (const t of BATCH_TABLES) count(report, t, b.planned[t], inserted.has(b) ? b.planned[t] : 0);
  };

  return inTransaction(client, async (discard) => {
    // First the tables' write locks, with the triggers off: from here on nobody else writes them until COMMIT.
    await triggersOff(client);
    // People already there are skipped with everything hanging from them; on a re-run that is everyone, and
    // the transaction is rolled back having written nothing (the triggers' ALTERs undone with it).
    const sorted = [...codes].sort();
    const taken = new Set(
      (await client.query<{ code: string }>(SQL.EXISTING_CODES, [sorted[0], sorted.at(-1)])).rows.map((r) => r.code),
    );
    if (askCpfs) {
      const cpfs = batch.flatMap((b) => (b.cpf ? [b.cpf] : []));
      for (const r of (await client.query<{ cpf: string }>(SQL.HOLDERS_OF_CPFS, [cpfs])).rows)
        taken.add(`cpf:${r.cpf}`);
    }
    const people = batch.filter((b) => !taken.has(b.code) && !(b.cpf && taken.has(`cpf:${b.cpf}`)));
    if (people.length === 0) {
      discard();
      tally([]);
      return 0;
    }

    const need = idsNeeded(people);
    const ids = (
      await client.query<Record<keyof FirstIds, string | null>>(SQL.RESERVE_IDS, [
        need.beneficiaries,
        need.history,
        need.enrollments,
      ])
    ).rows[0]!;
    const first: FirstIds = {
      beneficiaries: Number(ids.beneficiaries),
      history: Number(ids.history ?? 0),
      enrollments: Number(ids.enrollments ?? 0),
    };
    // Each table's text is built while PostgreSQL works through the previous table's COPY.
    const inserted = {} as Record<BatchTable, number>;
    let next = tableCopyText(BATCH_TABLES[0]!, people, first);
    for (const [i, table] of BATCH_TABLES.entries()) {
      const { text, rows } = next;
      inserted[table] = rows;
      const copying = rows > 0 ? copyText(client, copyStatement(table, BATCH_COLUMNS[table]), text) : Promise.resolve();
      copying.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
      const following = BATCH_TABLES[i + 1];
      if (following) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        next = tableCopyText(following, people, first);
      }
      await copying;
    }
    const lastId = first.beneficiaries + people.length - 1;
    // The seats' count on their workshops, set-based (workshop_participants_guard did it seat by seat).
    await client.query(SQL.BUMP_PARTICIPANT_COUNT, [first.beneficiaries, lastId]);

    await verifyBatch(client, { batch: range, firstId: first.beneficiaries, lastId, asOf: run.asOf });
    await triggersOn(client);
    tally(people);
    await auditBatch(client, { first: codes[0]!, last: codes.at(-1)!, seed: run.seed, asOf: run.asOf, inserted });
    return BATCH_TABLES.reduce((n, t) => n + inserted[t], 0);
  });
}
