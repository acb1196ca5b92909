// Three API processes on one database (issue 18's three instances), all running jobs and all evaluating the
// schedules (every second): each scheduled job runs once per tick, not once per instance.
import t from 'tap';
import pg from 'pg';
import { signIn, startInstances } from '../helpers/instances.js';
import { waitFor } from '../helpers/wait.js';

// Three minute ticks are watched (about 2.5 min): longer than the default time limit of a test file.
t.setTimeout(400_000);

t.test('with three instances each scheduled job runs once per tick', async (t) => {
  const { instances, database } = await startInstances(t, 3, {
    env: {
      JOBS_ENABLED: 'true',
      JOBS_CRON_CHECK_SECONDS: '1',
      MAINTENANCE_SCHEDULE: '* * * * *',
      BACKUP_SCHEDULE: 'off',
      RESTORE_TEST_SCHEDULE: 'off',
      PRUNE_SCHEDULE: 'off',
    },
  });
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  t.teardown(() => db.end());
  const runs = async () =>
    (
      await db.query<{ job_name: string; minute: string; n: number; workers: string[] }>(
        `SELECT job_name, date_trunc('minute', started_at)::text AS minute, count(*)::int AS n, array_agg(worker) AS workers
           FROM job_runs WHERE trigger = 'schedule' GROUP BY 1, 2 ORDER BY 2, 1`,
      )
    ).rows;

  // Every instance lists the schedule: every one runs the clock.
  for (const i of instances) {
    const s = await signIn(i);
    const body = JSON.parse((await i.request('GET', '/api/v1/admin/jobs', { headers: s.headers })).body);
    t.equal(body.instance.runs_jobs, true);
    t.equal(body.jobs.find((j: { name: string }) => j.name === 'maintenance').schedule, '* * * * *');
  }

  // Runs in three minutes: the middle minute was watched whole, about sixty evaluations of the schedules by the
  // three instances, each of which would enqueue the due jobs were it not for the once-per-tick guarantee.
  const NAMES = ['maintenance', 'webhooks.sweep'];
  const after = await waitFor(
    async () => {
      const r = await runs();
      return NAMES.every((name) => r.filter((x) => x.job_name === name).length >= 3) && r;
    },
    { timeout: 300_000, interval: 500, what: 'scheduled runs in three minutes' },
  );
  for (const name of NAMES) {
    const ticks = after.filter((x) => x.job_name === name);
    t.ok(ticks.length >= 3, `${name}: runs in three minutes`);
    for (const tick of ticks) t.equal(tick.n, 1, `${name} at ${tick.minute}: once (${tick.workers.join(', ')})`);
  }
  const queued = await db.query<{ minute: string; n: number }>(
    `SELECT date_trunc('minute', created_on)::text AS minute, count(*)::int AS n FROM pgboss.job
      WHERE name = 'maintenance' GROUP BY 1`,
  );
  for (const q of queued.rows) t.equal(q.n, 1, `one maintenance job queued for the tick of ${q.minute}`);
});
