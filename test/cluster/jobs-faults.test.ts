// Jobs when their instance goes away: killed mid-run (the run goes silent; another instance returns the job to
// the queue and runs it again), stopped with SIGTERM (the running job may finish within the grace, or it is
// returned to the queue). A run is held mid-way, for certain, by a lock the test holds on password_resets: the
// prune job waits on it.
import t, { type Test } from 'tap';
import pg from 'pg';
import { signIn, startInstances, type Cluster, type Instance } from '../helpers/instances.js';
import { waitFor } from '../helpers/wait.js';

const ENV = {
  JOBS_ENABLED: 'true',
  JOBS_HEARTBEAT_SECONDS: '1',
  JOBS_MAINTENANCE_INTERVAL_SECONDS: '1',
  // The grace a stopping instance gives its running jobs: SHUTDOWN_TIMEOUT_MS less 1.5 s for closing.
  SHUTDOWN_TIMEOUT_MS: '6000',
  BACKUP_SCHEDULE: 'off',
  RESTORE_TEST_SCHEDULE: 'off',
  MAINTENANCE_SCHEDULE: 'off',
  PRUNE_SCHEDULE: 'off',
};

interface RunRow {
  id: string;
  worker: string;
  status: string;
  attempt: number;
  error: string | null;
}

async function setup(t: Test) {
  const cluster = await startInstances(t, 2, { env: ENV });
  const db = new pg.Client({ connectionString: cluster.database.url });
  const holder = new pg.Client({ connectionString: cluster.database.url });
  await Promise.all([db.connect(), holder.connect()]);
  t.teardown(() => Promise.all([db.end(), holder.end().catch(() => {})]));
  return { cluster, db, holder };
}

const runsOf = async (db: pg.Client, jobId: string) =>
  (
    await db.query<RunRow>('SELECT id, worker, status, attempt, error FROM job_runs WHERE job_id = $1 ORDER BY id', [
      jobId,
    ])
  ).rows;

/** The instance whose process wrote `worker` (host:pid:id). */
const instanceOf = (cluster: Cluster, worker: string): Instance =>
  cluster.instances.find((i) => String(i.server.child.pid) === worker.split(':')[1])!;

/** Holds password_resets locked, runs prune through `via`, and waits until a run is blocked on the lock. */
async function pruneHeld(cluster: Cluster, db: pg.Client, holder: pg.Client, via: Instance) {
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE password_resets IN ACCESS EXCLUSIVE MODE');
  const session = await signIn(via);
  const res = await via.request('POST', '/api/v1/admin/jobs/prune/run', { headers: session.headers });
  if (res.status !== 201) throw new Error(`run prune: ${res.status} ${res.body}`);
  const jobId = (JSON.parse(res.body) as { job_id: string }).job_id;
  const running = await waitFor(async () => (await runsOf(db, jobId)).find((r) => r.status === 'running'), {
    timeout: 30_000,
    interval: 50,
    what: 'the prune run to start',
  });
  return { jobId, running, instance: instanceOf(cluster, running.worker) };
}

t.test('a job killed mid-run is retried on another instance', async (t) => {
  const { cluster, db, holder } = await setup(t);
  const { jobId, running, instance } = await pruneHeld(cluster, db, holder, cluster.instances[0]!);
  t.ok(instance, `running on the instance of ${running.worker}`);
  t.equal(await instance.stop('SIGKILL'), null, 'killed');

  // Silent for three heartbeats: the survivor marks the run interrupted and returns the job; it runs again there
  // (and waits on the same lock).
  const again = await waitFor(
    async () => (await runsOf(db, jobId)).find((r) => r.status === 'running' && r.id !== running.id),
    { timeout: 60_000, interval: 100, what: 'the retry to start on the other instance' },
  );
  t.not(again.worker, running.worker, 'on the other instance');
  t.equal(again.attempt, 2);
  await holder.query('COMMIT');
  const runs = await waitFor(
    async () => {
      const r = await runsOf(db, jobId);
      return r.every((x) => x.status !== 'running') && r;
    },
    { timeout: 30_000, interval: 100, what: 'the retry to finish' },
  );
  t.same(
    runs.map((r) => r.status),
    ['interrupted', 'succeeded'],
  );
  t.match(runs[0]!.error, /stopped responding/);
  const job = await db.query<{ state: string }>('SELECT state::text FROM pgboss.job WHERE id = $1', [jobId]);
  t.equal(job.rows[0]!.state, 'completed');
});

t.test('SIGTERM: a running job finishes within the grace; past it, it goes back to the queue', async (t) => {
  const { cluster, db, holder } = await setup(t);

  // 1. Released during the grace: the job finishes on the stopping instance, which then exits cleanly.
  const first = await pruneHeld(cluster, db, holder, cluster.instances[0]!);
  const exited = first.instance.stop('SIGTERM'); // resolves when the process exits
  await first.instance.server.waitFor(/shutting down/);
  await holder.query('COMMIT');
  const finished = await waitFor(async () => (await runsOf(db, first.jobId)).find((r) => r.status !== 'running'), {
    timeout: 30_000,
    interval: 50,
    what: 'the run to end',
  });
  t.equal(finished.status, 'succeeded', 'finished within the grace');
  t.equal(finished.worker, first.running.worker, 'on the instance that was stopping');
  t.equal(await exited, 0, 'then the instance exits cleanly');

  // 2. Held past the grace: the run is interrupted, the job returned and run again elsewhere.
  const third = await cluster.add();
  const second = await pruneHeld(cluster, db, holder, third);
  const stopping = second.instance.stop('SIGTERM');
  await waitFor(async () => (await runsOf(db, second.jobId)).find((r) => r.status === 'interrupted'), {
    timeout: 30_000,
    interval: 100,
    what: 'the run interrupted when the grace ran out',
  });
  await stopping;
  const retry = await waitFor(
    async () =>
      (await runsOf(db, second.jobId)).find((r) => r.status === 'running' && r.worker !== second.running.worker),
    { timeout: 60_000, interval: 100, what: 'the job to run again on another instance' },
  );
  t.equal(retry.attempt, 2);
  await holder.query('COMMIT');
  const runs = await waitFor(
    async () => {
      const r = await runsOf(db, second.jobId);
      return r.every((x) => x.status !== 'running') && r;
    },
    { timeout: 30_000, interval: 100, what: 'the retry to finish' },
  );
  t.same(
    runs.map((r) => r.status),
    ['interrupted', 'succeeded'],
  );
  t.match(runs[0]!.error, /instance stopped/);
});
