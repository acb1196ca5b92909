// The other modules' periodic work, wired through the jobs registry (src/schedules.ts): each schedule, when it
// fires, runs the module's real service function, and the run records what that function did.
import t from 'tap';
import pg from 'pg';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin } from '../helpers/auth.js';
import { waitFor } from '../helpers/wait.js';
import { createReportFixture } from './report-fixtures.js';
import { newBeneficiary } from './case-fixtures.js';
import { REFRESH_LOCK_KEY } from '../../apps/backend/src/modules/reports/index.js';

/** Only the modules' schedules, every minute, evaluated every second. */
const EVERY_MINUTE = {
  JOBS_ENABLED: 'true',
  JOBS_CRON_CHECK_SECONDS: '1',
  BACKUP_SCHEDULE: 'off',
  RESTORE_TEST_SCHEDULE: 'off',
  MAINTENANCE_SCHEDULE: 'off',
  PRUNE_SCHEDULE: 'off',
  REPORTS_REFRESH_SCHEDULE: '* * * * *',
  PRIVACY_RETENTION_SCHEDULE: '* * * * *',
};

interface RunRow {
  job_id: string;
  trigger: string;
  status: string;
  summary: Record<string, unknown> | null;
  error: string | null;
}

/** The first finished run of `name` with `trigger` (a schedule fires at the next minute: up to 60 s away). */
const finishedRun = (ctx: TestContext, name: string, trigger: string, after = '0') =>
  waitFor(
    () =>
      ctx.db.maybeOne<RunRow>({
        text: `SELECT job_id, trigger, status, summary, error FROM job_runs
                WHERE job_name = $1 AND trigger = $2 AND status <> 'running' AND id > $3::bigint ORDER BY id LIMIT 1`,
        values: [name, trigger, after],
      }),
    { timeout: 150_000, interval: 200, what: `a ${trigger} run of ${name}` },
  );

async function runNow(ctx: TestContext, headers: Record<string, string>, name: string) {
  const { id } = await ctx.db.one<{ id: string }>({ text: 'SELECT COALESCE(max(id), 0)::text AS id FROM job_runs' });
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/admin/jobs/${name}/run`, headers });
  if (res.statusCode !== 201) throw new Error(`run ${name}: ${res.statusCode} ${res.body}`);
  return finishedRun(ctx, name, 'manual', id);
}

t.test(
  'reports.refresh: the schedule runs the real refreshAll; a turn while another refresh runs is skipped',
  async (t) => {
    const ctx = await buildTestApp(t, { env: EVERY_MINUTE });
    const boss = await admin(ctx);
    await createReportFixture(ctx);

    const scheduled = await finishedRun(ctx, 'reports.refresh', 'schedule');
    t.equal(scheduled.status, 'succeeded', scheduled.error ?? '');
    const refresh = await ctx.db.one<{ trigger: string; source: string; status: string }>({
      text: 'SELECT trigger, source, status FROM report_refreshes WHERE id = $1',
      values: [scheduled.summary?.refresh_id],
    });
    t.same(refresh, { trigger: 'schedule', source: 'reports.refresh', status: 'succeeded' }, 'logged by its name');
    const { n } = await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM report_attendance' });
    t.ok(n > 0, 'the views hold the fixture');

    // Another refresh holds the lock: the turn is skipped, and succeeds as such (no failure, no retry).
    const other = new pg.Client({ connectionString: ctx.database.url });
    await other.connect();
    t.teardown(() => other.end());
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1::bigint)', [REFRESH_LOCK_KEY]);
    const skipped = await runNow(ctx, boss.headers, 'reports.refresh');
    await other.query('ROLLBACK');
    t.match(skipped, { status: 'succeeded', summary: { skipped: 'another refresh was running' } });

    // Run now by a user: logged as that user's refresh.
    const manual = await runNow(ctx, boss.headers, 'reports.refresh');
    t.equal(manual.status, 'succeeded', manual.error ?? '');
    const byUser = await ctx.db.one<{ trigger: string; requested_by: string }>({
      text: 'SELECT trigger, requested_by FROM report_refreshes WHERE id = $1',
      values: [manual.summary?.refresh_id],
    });
    t.same(byUser, { trigger: 'user', requested_by: boss.id }, 'a manual run is the requesting user’s refresh');
  },
);

t.test('privacy.retention: the schedule runs the real runRetention: who is past retention is anonymised', async (t) => {
  const ctx = await buildTestApp(t, { env: EVERY_MINUTE });
  const boss = await admin(ctx);
  // Archived six years ago with no purpose but case follow-up (60 months): past retention. One still active.
  const past = await newBeneficiary(ctx, boss, 'Arquivada Há Seis Anos');
  const archived = await ctx.app.inject({
    method: 'POST',
    url: `/api/v1/beneficiaries/${past}/archive`,
    headers: boss.headers,
    payload: { reason: 'Encerrou o acompanhamento' },
  });
  t.equal(archived.statusCode, 200, archived.body);
  await ctx.db.execute({
    text: "UPDATE beneficiaries SET archived_at = now() - interval '6 years' WHERE id = $1",
    values: [past],
  });
  const active = await newBeneficiary(ctx, boss, 'Ativa');

  const scheduled = await finishedRun(ctx, 'privacy.retention', 'schedule');
  t.equal(scheduled.status, 'succeeded', scheduled.error ?? '');
  t.same(scheduled.summary, { anonymised: 1, held: 0 }, 'counts only in the run history');
  const rows = await ctx.db.many<{ id: string; anonymised: boolean; full_name: string }>({
    text: 'SELECT id, anonymised_at IS NOT NULL AS anonymised, full_name FROM beneficiaries WHERE id = ANY($1) ORDER BY id',
    values: [[past, active]],
  });
  t.match(rows, [
    { id: past, anonymised: true },
    { id: active, anonymised: false, full_name: 'Ativa' },
  ]);
  t.not(rows[0]!.full_name, 'Arquivada Há Seis Anos', 'her name is gone');
  t.notMatch(JSON.stringify(scheduled), /Arquivada/, 'no name in the run history');
});
