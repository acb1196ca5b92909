// `npm run smoke:reports [-- --budget-ms N --max-age-s N]`: refreshes every report view, then checks, for each
// report, in one REPEATABLE READ snapshot: the view holds exactly what its function computes from the base tables,
// independent counts straight from the base tables agree with it, its parts add up to its totals; then that as_of
// is the refresh just made and that each report answers within the time budget. Prints one line per report and
// exits 1 naming the reports that failed (docs/reports.md "Smoke check").
import { parseArgs } from 'node:util';
import pino from 'pino';
import type pg from 'pg';
import { ConfigError, loadConfig } from '../src/config.js';
import { createDb } from '../src/platform/db.js';
import {
  createReportsRepository,
  createReportsService,
  REPORT_NAMES,
  REPORTS,
  type ReportName,
} from '../src/modules/reports/index.js';
import { loadDotEnv, ScriptError, withDatabase } from './lib/database.js';

const USAGE = 'usage: npm run smoke:reports [-- --budget-ms N] [--max-age-s N]';

/** A check: SQL answering one row { bad: number, detail: text } — bad 0 when it holds. */
interface Check {
  what: string;
  sql: string;
}

/** The view against its own function, row for row (both ways, duplicates counted). */
const sameAsFunction = (view: string, fn: string, columns: string): Check => ({
  what: `${view} = ${fn}() over the base tables`,
  sql: `SELECT count(*)::int AS bad, min(side) AS detail FROM (
          (SELECT 'only in the view' AS side, ${columns} FROM ${view}
           EXCEPT ALL SELECT 'only in the view', ${columns} FROM ${fn}('-infinity', 'infinity'))
          UNION ALL
          (SELECT 'only in the function', ${columns} FROM ${fn}('-infinity', 'infinity')
           EXCEPT ALL SELECT 'only in the function', ${columns} FROM ${view})) d`,
});

/** Pairs (key, expected, actual) that differ. */
const agree = (what: string, pairs: string): Check => ({
  what,
  sql: `SELECT count(*)::int AS bad, min(key::text || ': ' || expected || ' ≠ ' || actual) AS detail
          FROM (${pairs}) p WHERE expected IS DISTINCT FROM actual`,
});

const MONTH = (col: string) => `date_trunc('month', ${col}::timestamp)::date`;
const PERSON_SERVED = `SELECT DISTINCT ${MONTH('a.session_date')} AS month, a.beneficiary_id
                         FROM attendance a WHERE a.present`;

const CHECKS: Record<ReportName, Check[]> = {
  attendance: [
    sameAsFunction(
      'report_attendance',
      'report_attendance_rows',
      'month, project_id, workshop_id, sessions_held, participants, marks, present',
    ),
    agree(
      'marks and present marks per month, counted from attendance',
      `SELECT b.month AS key, b.marks || '/' || b.present AS expected, v.marks || '/' || v.present AS actual
         FROM (SELECT ${MONTH('session_date')} AS month, count(*) AS marks, count(*) FILTER (WHERE present) AS present
                 FROM attendance GROUP BY 1) b
         FULL JOIN (SELECT month, sum(marks) AS marks, sum(present) AS present FROM report_attendance
                     WHERE workshop_id IS NOT NULL GROUP BY 1) v USING (month)`,
    ),
    agree(
      'a project’s marks, present marks and sessions are the sums of its workshops’; its women at most their sum',
      `SELECT t.month || '/' || t.project_id AS key,
              t.marks || '/' || t.present || '/' || t.sessions_held || '/' || (t.participants <= w.participants) AS expected,
              w.marks || '/' || w.present || '/' || w.sessions_held || '/true' AS actual
         FROM report_attendance t
         JOIN (SELECT month, project_id, sum(marks) AS marks, sum(present) AS present,
                      sum(sessions_held) AS sessions_held, sum(participants) AS participants
                 FROM report_attendance WHERE workshop_id IS NOT NULL GROUP BY 1, 2) w USING (month, project_id)
        WHERE t.workshop_id IS NULL`,
    ),
  ],
  enrollment_funnel: [
    sameAsFunction(
      'report_enrollments',
      'report_enrollment_rows',
      'month, project_id, requested, pending, rejected, approved, active, withdrawn, completed',
    ),
    agree(
      'enrolments requested per month, counted from enrollments',
      `SELECT b.month AS key, b.n::text AS expected, v.n::text AS actual
         FROM (SELECT date_trunc('month', created_at AT TIME ZONE report_timezone())::date AS month, count(*) AS n
                 FROM enrollments GROUP BY 1) b
         FULL JOIN (SELECT month, sum(requested) AS n FROM report_enrollments GROUP BY 1) v USING (month)`,
    ),
    agree(
      'requested = pending + rejected + approved; approved = active + withdrawn + completed',
      `SELECT month || '/' || project_id AS key, requested || '/' || approved AS expected,
              (pending + rejected + approved) || '/' || (active + withdrawn + completed) AS actual
         FROM report_enrollments`,
    ),
  ],
  people_served: [
    sameAsFunction(
      'report_served',
      'report_served_rows',
      'month, project_id, state, city_key, city, neighbourhood_key, neighbourhood, age_band, people',
    ),
    agree(
      'women served per month (organisation), counted from attendance',
      `SELECT b.month AS key, b.n::text AS expected, v.n::text AS actual
         FROM (SELECT month, count(*) AS n FROM (${PERSON_SERVED}) s GROUP BY 1) b
         FULL JOIN (SELECT month, sum(people) AS n FROM report_served WHERE project_id IS NULL GROUP BY 1) v USING (month)`,
    ),
    agree(
      'the organisation’s women served: at most the sum over projects, at least any project’s',
      `SELECT o.month AS key, 'true' AS expected, (o.n <= p.total AND o.n >= p.most)::text AS actual
         FROM (SELECT month, sum(people) AS n FROM report_served WHERE project_id IS NULL GROUP BY 1) o
         JOIN (SELECT month, sum(n) AS total, max(n) AS most
                 FROM (SELECT month, project_id, sum(people) AS n FROM report_served
                        WHERE project_id IS NOT NULL GROUP BY 1, 2) x GROUP BY 1) p USING (month)`,
    ),
  ],
  vulnerability_prevalence: [
    sameAsFunction(
      'report_vulnerabilities',
      'report_vulnerability_rows',
      'month, project_id, vulnerability_id, people',
    ),
    agree(
      'women served with each vulnerability per month (organisation), counted from the base tables',
      `SELECT b.month || '/' || b.vulnerability_id AS key, b.n::text AS expected, v.people::text AS actual
         FROM (SELECT s.month, bv.vulnerability_id, count(*) AS n
                 FROM (${PERSON_SERVED}) s JOIN beneficiary_vulnerabilities bv USING (beneficiary_id) GROUP BY 1, 2) b
         FULL JOIN (SELECT month, vulnerability_id, people FROM report_vulnerabilities WHERE project_id IS NULL) v
           USING (month, vulnerability_id)`,
    ),
    agree(
      'with a vulnerability: at most the women served',
      `SELECT v.month || '/' || v.vulnerability_id AS key, 'true' AS expected, (v.people <= s.n)::text AS actual
         FROM report_vulnerabilities v
         JOIN (SELECT month, project_id, sum(people) AS n FROM report_served GROUP BY 1, 2) s
           ON s.month = v.month AND s.project_id IS NOT DISTINCT FROM v.project_id`,
    ),
  ],
  capacity_use: [
    sameAsFunction('report_capacity', 'report_capacity_rows', 'month, project_id, workshop_id, capacity, seats'),
    agree(
      'seats this month = each workshop’s participant_count (kept by trigger)',
      `SELECT w.id AS key, w.participant_count::text AS expected, c.seats::text AS actual
         FROM workshops w
         JOIN report_capacity c ON c.workshop_id = w.id
        WHERE c.month = date_trunc('month', now() AT TIME ZONE report_timezone())::date`,
    ),
    agree(
      'seats never above capacity',
      `SELECT month || '/' || workshop_id AS key, 'true' AS expected, (seats <= capacity)::text AS actual
         FROM report_capacity`,
    ),
  ],
};

async function main(): Promise<number> {
  loadDotEnv();
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { 'budget-ms': { type: 'string', default: '2000' }, 'max-age-s': { type: 'string', default: '300' } },
      strict: true,
    }));
  } catch (err) {
    throw new ScriptError(`${(err as Error).message.split('\n')[0]}\n${USAGE}`);
  }
  const budgetMs = Number(values['budget-ms']);
  const maxAgeS = Number(values['max-age-s']);
  if (!Number.isInteger(budgetMs) || budgetMs < 0 || !Number.isInteger(maxAgeS) || maxAgeS < 0)
    throw new ScriptError(`--budget-ms and --max-age-s take whole numbers\n${USAGE}`);
  const config = loadConfig();
  const log = pino({ level: 'warn' });
  return withDatabase(console.log, async (url) => {
    const db = createDb({
      connectionString: url,
      max: 2,
      statementTimeoutMs: config.REPORT_REFRESH_TIMEOUT_MS,
      idleTimeoutMs: 10_000,
      connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
      applicationName: 'acolhe-smoke-reports',
      slowQueryMs: 60_000,
      log,
    });
    const service = createReportsService({ db, repo: createReportsRepository(db), config, log });
    const failures = new Map<ReportName, string[]>();
    const fail = (name: ReportName, why: string) => failures.set(name, [...(failures.get(name) ?? []), why]);
    try {
      const refresh = await service.refreshAll({ system: 'smoke' });
      console.log(`refreshed in ${refresh.duration_ms} ms (refresh ${refresh.id}):`);
      for (const [view, v] of Object.entries(refresh.views))
        console.log(`  ${view.padEnd(24)} ${String(v.rows).padStart(9)} rows  ${String(v.duration_ms).padStart(6)} ms`);

      // Every check in one snapshot, with the organisation's zone for the months.
      await db.transaction(
        async (tx: pg.PoolClient) => {
          await tx.query("SELECT set_config('app.org_timezone', $1, true)", [config.ORG_TIMEZONE]);
          for (const name of REPORT_NAMES)
            for (const check of CHECKS[name]) {
              const { rows } = await tx.query<{ bad: number; detail: string | null }>(check.sql);
              if (rows[0]!.bad) fail(name, `${check.what}: ${rows[0]!.bad} differ (first: ${rows[0]!.detail})`);
            }
        },
        { isolation: 'repeatable read', readOnly: true },
      );

      const listed = await service.list();
      const age = (Date.now() - new Date(listed.as_of ?? 0).getTime()) / 1000;
      for (const name of REPORT_NAMES) {
        if (listed.refresh_id !== refresh.id) fail(name, `as_of is refresh ${listed.refresh_id}, not ${refresh.id}`);
        if (age > maxAgeS) fail(name, `as_of is ${age.toFixed(0)} s old (at most ${maxAgeS})`);
        const t0 = performance.now();
        const answer = await service.get(name, {});
        const ms = performance.now() - t0;
        if (ms > budgetMs) fail(name, `answered in ${ms.toFixed(0)} ms (budget ${budgetMs} ms)`);
        const problems = failures.get(name);
        console.log(
          `${problems ? 'FAIL' : 'ok  '} ${name.padEnd(26)} ${String(answer.rows.length).padStart(7)} rows ${answer.from}..${answer.to} in ${ms.toFixed(0)} ms; ${CHECKS[name].length} checks — ${REPORTS[name].title}`,
        );
        for (const p of problems ?? []) console.log(`     ${p}`);
      }
    } finally {
      await db.close();
    }
    if (failures.size) {
      console.error(`smoke:reports failed: ${[...failures.keys()].join(', ')}`);
      return 1;
    }
    console.log('smoke:reports: every report passed');
    return 0;
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const known = err instanceof ScriptError || err instanceof ConfigError;
    console.error(`smoke:reports: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
    process.exit(1);
  },
);
