// The jobs module on one instance: the schedules listed with their next run, runs now, their history and
// errors, schedules switched off or refused, the metrics, and what pruning and maintenance actually do.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildTestApp, type TestContext } from '../helpers/app.js';
import { admin, userWith } from '../helpers/auth.js';
import { waitFor } from '../helpers/wait.js';
import { setupProject } from './case-fixtures.js';
import { nextRun } from '../../apps/backend/src/platform/cron.js';
import { ConfigError, loadConfig } from '../../apps/backend/src/config.js';
import { describeError } from '../../apps/backend/src/modules/jobs/errors.js';

const JOBS = { JOBS_ENABLED: 'true' };

interface Run {
  status: string;
  trigger: string;
  attempt: number;
  summary: Record<string, unknown> | null;
  error: string | null;
  duration_ms: number | null;
}
interface Listed {
  name: string;
  schedule: string | null;
  schedule_variable: string | null;
  next_run_at: string | null;
  queue: { waiting: number; retrying: number; active: number };
  last_success_at: string | null;
  last_runs: Run[];
  failures: Run[];
}

async function overview(ctx: TestContext, headers: Record<string, string>) {
  const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers });
  if (res.statusCode !== 200) throw new Error(`GET /admin/jobs: ${res.statusCode} ${res.body}`);
  return res.json() as { timezone: string; instance: { runs_jobs: boolean }; jobs: Listed[] };
}

/** Runs a job through the API and waits for its run to finish; the run as listed. */
async function runNow(ctx: TestContext, headers: Record<string, string>, name: string, timeout = 60_000) {
  const res = await ctx.app.inject({ method: 'POST', url: `/api/v1/admin/jobs/${name}/run`, headers });
  if (res.statusCode !== 201) throw new Error(`run ${name}: ${res.statusCode} ${res.body}`);
  const { job_id } = res.json() as { job_id: string };
  const row = await waitFor(
    () =>
      ctx.db.maybeOne<{ status: string }>({
        text: "SELECT status FROM job_runs WHERE job_id = $1 AND status <> 'running' ORDER BY id DESC LIMIT 1",
        values: [job_id],
      }),
    { timeout, interval: 50, what: `job ${name} to finish` },
  );
  const listed = (await overview(ctx, headers)).jobs.find((j) => j.name === name)!;
  return { job_id, status: row.status, run: listed.last_runs[0]!, listed };
}

t.test('GET /admin/jobs: every schedule with its next run in ORG_TIMEZONE; ops:read only', async (t) => {
  const ctx = await buildTestApp(t);
  const boss = await admin(ctx);
  const body = await overview(ctx, boss.headers);
  t.equal(body.timezone, 'America/Sao_Paulo');
  t.equal(body.instance.runs_jobs, false, 'this test app only enqueues');
  const byName = new Map(body.jobs.map((j) => [j.name, j]));
  for (const [name, cron, variable] of [
    ['backup', '0 2 * * *', 'BACKUP_SCHEDULE'],
    ['restore-test', '0 4 1 * *', 'RESTORE_TEST_SCHEDULE'],
    ['maintenance', '30 3 * * *', 'MAINTENANCE_SCHEDULE'],
    ['prune', '15 * * * *', 'PRUNE_SCHEDULE'],
    ['reports.refresh', '40 * * * *', 'REPORTS_REFRESH_SCHEDULE'],
  ] as const) {
    const j = byName.get(name);
    t.ok(j, `${name} is listed`);
    t.equal(j?.schedule, cron, `${name}: the default schedule`);
    t.equal(j?.schedule_variable, variable);
    t.ok(j?.next_run_at && new Date(j.next_run_at) > new Date(), `${name}: next run in the future`);
  }
  // 02:00 in São Paulo (UTC-3, no daylight saving since 2019) is 05:00 UTC.
  const backupNext = new Date(byName.get('backup')!.next_run_at!);
  t.equal(backupNext.getUTCHours(), 5, 'the backup runs at 02:00 in ORG_TIMEZONE');
  t.equal(backupNext.getUTCMinutes(), 0);
  t.ok(backupNext.getTime() - Date.now() <= 86_400_000, 'within a day');
  const restore = new Date(byName.get('restore-test')!.next_run_at!);
  t.equal(restore.getUTCDate(), 1, 'the restore test runs on the first of the month');
  t.ok(byName.get('webhooks.sweep')?.schedule, 'module jobs are listed too');
  t.equal(byName.get('webhooks.deliver')?.schedule, null, 'an unscheduled job has no next run');

  const reader = await userWith(ctx, ['ops:read']);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers: reader.headers })).statusCode,
    200,
  );
  const nobody = await userWith(ctx, ['audit:read']);
  t.equal(
    (await ctx.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers: nobody.headers })).statusCode,
    403,
  );
  const run = await ctx.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/prune/run', headers: reader.headers });
  t.equal(run.statusCode, 403, 'running a job needs ops:manage');
  const unknown = await ctx.app.inject({ method: 'POST', url: '/api/v1/admin/jobs/nope/run', headers: boss.headers });
  t.equal(unknown.statusCode, 404);
  t.equal(unknown.json().code, 'not_found');
});

t.test('nextRun follows cron in the time zone given', async (t) => {
  const from = new Date('2026-06-10T12:00:00Z');
  t.equal(nextRun('0 2 * * *', 'America/Sao_Paulo', from).toISOString(), '2026-06-11T05:00:00.000Z');
  t.equal(nextRun('0 2 * * *', 'UTC', from).toISOString(), '2026-06-11T02:00:00.000Z');
  t.equal(nextRun('0 4 1 * *', 'America/Sao_Paulo', from).toISOString(), '2026-07-01T07:00:00.000Z');
});

t.test('a schedule switched off is not scheduled; a bad one stops the app naming its variable', async (t) => {
  const ctx = await buildTestApp(t, { env: { ...JOBS, BACKUP_SCHEDULE: 'off', PRUNE_SCHEDULE: '*/5 * * * *' } });
  const boss = await admin(ctx);
  const jobs = (await overview(ctx, boss.headers)).jobs;
  t.equal(jobs.find((j) => j.name === 'backup')?.schedule, null);
  t.equal(jobs.find((j) => j.name === 'backup')?.next_run_at, null);
  t.equal(jobs.find((j) => j.name === 'prune')?.schedule, '*/5 * * * *');
  const rows = await ctx.db.many<{ name: string; cron: string; timezone: string }>({
    text: 'SELECT name, cron, timezone FROM pgboss.schedule ORDER BY name',
  });
  t.notOk(
    rows.some((r) => r.name === 'backup'),
    'no backup schedule in the queue',
  );
  t.same(
    rows.find((r) => r.name === 'prune'),
    { name: 'prune', cron: '*/5 * * * *', timezone: 'America/Sao_Paulo' },
    'prune scheduled in ORG_TIMEZONE',
  );

  t.type(
    (() => {
      try {
        loadConfig({ BACKUP_SCHEDULE: '61 * * * *' });
      } catch (err) {
        return err;
      }
    })(),
    ConfigError,
    'a configuration error: the server prints it as one line',
  );
  t.throws(() => loadConfig({ BACKUP_SCHEDULE: '61 * * * *' }), {
    message: /^Invalid configuration: BACKUP_SCHEDULE must be a cron expression or off \(got "61 \* \* \* \*"/,
  });
  t.throws(() => loadConfig({ PRUNE_SCHEDULE: 'hourly' }), {
    message: /^Invalid configuration: PRUNE_SCHEDULE must be a cron expression \(5 or 6 fields\) or off/,
  });
  t.equal(loadConfig({ RESTORE_TEST_SCHEDULE: 'off' }).RESTORE_TEST_SCHEDULE, 'off');
});

t.test(
  'prune: run now, recorded with who asked; expired sessions, reset tokens, old events go, live ones stay',
  async (t) => {
    const ctx = await buildTestApp(t, {
      env: { ...JOBS, METRICS_TOKEN: 'metrics-token-0123456789abcdef', EVENTS_RETENTION_HOURS: '1' },
    });
    const boss = await admin(ctx);
    // Two changes aged past EVENTS_RETENTION_HOURS (the events module's prune), one young change that stays.
    await setupProject(ctx, boss);
    await setupProject(ctx, boss);
    await ctx.db.execute({ text: "UPDATE change_events SET created_at = created_at - interval '2 hours'" });
    const young = await setupProject(ctx, boss);
    await ctx.db.execute({
      text: `INSERT INTO sessions (user_id, refresh_token_hash, created_at, expires_at)
           SELECT $1, gen_random_bytes(32), now() - interval '40 days', now() - interval '1 day' FROM generate_series(1, 3)`,
      values: [boss.id],
    });
    const other = await userWith(ctx, ['audit:read']);
    await ctx.db.execute({
      text: `INSERT INTO password_resets (user_id, token_hash, created_at, expires_at)
           VALUES ($1, gen_random_bytes(32), now() - interval '2 hours', now() - interval '1 hour')`,
      values: [other.id],
    });
    const live = await ctx.db.one<{ n: number }>({
      text: 'SELECT count(*)::int AS n FROM sessions WHERE expires_at > now()',
    });

    const { status, run, listed } = await runNow(ctx, boss.headers, 'prune');
    t.equal(status, 'succeeded');
    t.equal(run.trigger, 'manual');
    t.equal(run.attempt, 1);
    t.ok(run.duration_ms !== null && run.duration_ms >= 0, 'duration recorded');
    t.match(run.summary, {
      sessions: 3,
      password_resets: 1,
      change_events: 2,
      event_tickets: 0,
      job_runs: 0,
      webhook_deliveries: 0,
    });
    t.same(
      (
        await ctx.db.many<{ row_id: string }>({ text: "SELECT row_id FROM change_events WHERE topic = 'projects'" })
      ).map((r) => r.row_id),
      [young.id],
      'the young change stays',
    );
    t.ok(listed.last_success_at, 'last success listed');
    const who = await ctx.db.one<{ created_by: string }>({
      text: "SELECT created_by FROM job_runs WHERE job_name = 'prune' ORDER BY id DESC LIMIT 1",
    });
    t.equal(who.created_by, boss.id, 'the run records who asked for it');
    t.equal(
      (await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM sessions WHERE expires_at <= now()' }))
        .n,
      0,
    );
    t.equal((await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM password_resets' })).n, 0);
    t.equal(
      (await ctx.db.one<{ n: number }>({ text: 'SELECT count(*)::int AS n FROM sessions WHERE expires_at > now()' })).n,
      live.n,
      'live sessions stay',
    );

    const metrics = (
      await ctx.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-0123456789abcdef' },
      })
    ).body;
    t.match(metrics, /acolhe_job_runs_total\{job_name="prune",outcome="succeeded"\} 1/);
    const last = /acolhe_job_last_success_timestamp_seconds\{job_name="prune"\} ([\d.e+]+)/.exec(metrics);
    t.ok(last && Math.abs(Number(last[1]) * 1000 - Date.now()) < 120_000, 'last success time of prune: just now');
    t.match(metrics, /acolhe_job_last_success_timestamp_seconds\{job_name="backup"\} 0/, 'never: 0 (alerts fire)');
  },
);

t.test('a failing run records its error (no personal data) and goes back to the queue for a retry', async (t) => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-no-pg-'));
  t.teardown(() => fs.rmSync(bin, { recursive: true, force: true }));
  process.env.PG_BIN_DIR = bin; // pgToolPath reads the environment, as the scripts do
  t.teardown(() => void delete process.env.PG_BIN_DIR);
  const ctx = await buildTestApp(t, { env: { ...JOBS, BACKUP_DIR: bin } });
  const boss = await admin(ctx);
  const { status, run, listed } = await runNow(ctx, boss.headers, 'backup');
  t.equal(status, 'failed');
  t.equal(run.status, 'failed');
  t.match(run.error, /pg_dump not found/);
  t.equal(listed.failures[0]?.error, run.error, 'listed among the failures');
  t.equal(listed.queue.retrying, 1, 'waiting for its retry');
  const job = await ctx.db.one<{ state: string; output: { message: string } }>({
    text: "SELECT state::text, output FROM pgboss.job WHERE name = 'backup'",
  });
  t.equal(job.state, 'retry');
  t.match(job.output.message, /pg_dump not found/);
});

t.test('describeError keeps the message, never values', async (t) => {
  const pg = Object.assign(
    new Error('invalid input syntax for type bigint: "maria@example.org"\nDETAIL: Key (cpf)=(123)'),
    {
      code: '22P02',
      severity: 'ERROR',
    },
  );
  t.equal(describeError(pg), 'PostgreSQL 22P02: invalid input syntax for type bigint: "…"');
  t.equal(
    describeError(new Error('mail to ana@example.org failed, CPF 123.456.789-09')),
    'mail to [e-mail] failed, CPF [number]',
  );
  t.equal(describeError('x'.repeat(2_000)).length, 1_000);
});

t.test('maintenance: stale statistics analysed, dead tuples and bloat reported, amcheck on indexes', async (t) => {
  const ctx = await buildTestApp(t, { env: { ...JOBS, MAINTENANCE_AMCHECK_INDEXES: '5' } });
  const boss = await admin(ctx);
  // Rows that autovacuum has not analysed yet (the test is faster than it), then deleted: dead tuples.
  await ctx.db.execute({
    text: `INSERT INTO audit_log (table_name, row_id, action) SELECT 'maintenance_test', g::text, 'insert'
             FROM generate_series(1, 2000) g`,
  });
  await ctx.db.execute({ text: "DELETE FROM audit_log WHERE table_name = 'maintenance_test' AND row_id::int % 2 = 0" });
  // Statistics reach pg_stat_user_tables a moment after the transactions end.
  await waitFor(
    () =>
      ctx.db.maybeOne({
        text: `SELECT 1 FROM pg_stat_user_tables WHERE relname = 'audit_log' AND n_mod_since_analyze >= 2000 AND n_dead_tup >= 1000`,
      }),
    { timeout: 20_000, interval: 100, what: 'the statistics of audit_log' },
  );
  const { status, run } = await runNow(ctx, boss.headers, 'maintenance');
  t.equal(status, 'succeeded', run.error ?? '');
  const s = run.summary as {
    analyzed: string[];
    dead_tuples: { table: string; dead: number }[];
    bloat_estimate: unknown[];
    amcheck: { available: boolean; checked: string[]; corrupt: string[] };
  };
  t.ok(s.analyzed.includes('public.audit_log'), 'audit_log had stale statistics and was analysed');
  const analysed = await ctx.db.one<{ at: Date | null }>({
    text: "SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'audit_log'",
  });
  t.ok(analysed.at, 'ANALYZE really ran');
  t.ok(
    s.dead_tuples.some((d) => d.table === 'public.audit_log' && d.dead >= 1000),
    'dead tuples of audit_log reported',
  );
  t.ok(Array.isArray(s.bloat_estimate));
  t.equal(s.amcheck.available, true, 'amcheck is created by the migration (superuser in tests)');
  t.equal(s.amcheck.checked.length, 5, 'the configured share of indexes');
  t.same(s.amcheck.corrupt, []);
});

t.test('backup and restore test as jobs: results recorded; a backup unlike its manifest fails the test', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acolhe-job-backups-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ctx = await buildTestApp(t, { env: { ...JOBS, BACKUP_DIR: dir } });
  const boss = await admin(ctx);
  const backup = await runNow(ctx, boss.headers, 'backup');
  t.equal(backup.status, 'succeeded', backup.run.error ?? '');
  const file = String(backup.run.summary?.file);
  t.match(file, /^t_[0-9a-f]+-\d{8}T\d{6}Z\.dump$/);
  t.ok(fs.existsSync(path.join(dir, file)) && fs.existsSync(path.join(dir, `${file}.sha256`)));
  t.same(backup.run.summary?.pruned, []);

  const ok = await runNow(ctx, boss.headers, 'restore-test');
  t.equal(ok.status, 'succeeded', ok.run.error ?? '');
  t.equal(ok.run.summary?.file, file);

  const manifestFile = path.join(dir, file.replace(/\.dump$/, '.manifest.json'));
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { tables: Record<string, number> };
  manifest.tables['public.users'] = 999;
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  const bad = await runNow(ctx, boss.headers, 'restore-test');
  t.equal(bad.status, 'failed');
  t.match(
    bad.run.error,
    /restore test of .*: 1 difference\(s\): table public\.users: \d+ rows restored, 999 at backup time/,
  );
});
