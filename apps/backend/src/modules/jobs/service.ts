// The jobs module: which jobs exist (what runs, when, for how long), pg-boss underneath (queue.ts), a run
// history, heartbeats that hand a dead worker's job back to the queue, and the metrics operators alert on.
// Other modules register their work here (define); nothing else in the app keeps a timer for scheduled work.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Db } from '../../platform/db.js';
import { notFound } from '../../platform/errors.js';
import { bossDb, createQueue } from './queue.js';
import { describeError } from './errors.js';
import { checkedCron, nextRun } from '../../platform/cron.js';
import type { JobsRepository, RunRow, Trigger } from './repository.js';
import type { JobsOverview } from './schemas.js';

/** What a job reports when it succeeds: counts and names (tables, files), never personal data. */
export type JobSummary = Record<string, unknown>;

export interface JobContext<T> {
  jobId: string;
  name: string;
  data: T;
  trigger: Trigger;
  /** 1 for the first run, 2 for the first retry, ... */
  attempt: number;
  /** Aborted when the run must stop: its time limit passed, or the instance is stopping past its grace. */
  signal: AbortSignal;
  /** Aborted as soon as the instance begins stopping: a job made of many small steps stops between two. */
  draining: AbortSignal;
  log: FastifyBaseLogger;
}

export interface JobDefinition<T = Record<string, unknown>> {
  /** The queue name (created by a migration): lower case, digits, `.`, `_`, `-`. */
  name: string;
  description: string;
  /** Cron in ORG_TIMEZONE, or `off`; absent: the job runs only when sent. */
  schedule?: string;
  /** The variable `schedule` comes from, for error messages and the listing. */
  scheduleVariable?: string;
  /** Time limit of one run (default 15 min; under 24 h); past it the run is aborted and retried. */
  timeoutSeconds?: number;
  /** Retries after a failure (default 2), the first after `retryDelaySeconds` (default 5), doubling, with jitter. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Runs of this job one instance makes at once (default JOBS_CONCURRENCY). */
  concurrency?: number;
  /** Record each run in job_runs (default true). Off for frequent internal jobs (webhook deliveries). */
  history?: boolean;
  handler: (ctx: JobContext<T>) => Promise<JobSummary | void>;
}

export interface SendOptions {
  /** Not before this time. */
  startAfter?: Date;
  /** With a queue of policy "short": at most one job waiting per key (pg-boss drops the duplicate: null). */
  singletonKey?: string;
  /** Enqueue in this transaction: the job exists only if it commits (then call wake(name) to start it at once). */
  tx?: pg.PoolClient;
}

/** Job data as this module writes it; a job's own fields sit beside these. */
type JobData = Record<string, unknown> & { trigger?: Trigger; requested_by?: string | null };

type Defined = Required<Omit<JobDefinition, 'schedule' | 'scheduleVariable'>> & {
  cron: string | null;
  scheduleVariable: string | null;
};

const NAME = /^[a-z][a-z0-9_.-]{0,99}$/;
const LISTED_RUNS = 5;

export function createJobsService(d: {
  db: Db;
  repo: JobsRepository;
  config: Config;
  log: FastifyBaseLogger;
  metrics: Registry;
}) {
  const { db, repo, config } = d;
  const log = d.log.child({ module: 'jobs' });
  const tz = config.ORG_TIMEZONE;
  const boss = createQueue(db.pool, config);
  const defined = new Map<string, Defined>();
  /** Ids of this instance's workers per job: a job sent from here wakes one at once. */
  const workers = new Map<string, string[]>();
  /** Runs in progress here (job_runs ids), for the heartbeat. */
  const running = new Set<string>();
  const worker = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const draining = new AbortController();
  const stopping = new AbortController();
  let started = false;
  let beat: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;

  boss.on('error', (err: Error & { queue?: string }) =>
    log.warn({ err: { message: describeError(err) }, queue: err.queue }, 'job queue error'),
  );

  const runsTotal = new Counter({
    name: 'acolhe_job_runs_total',
    help: 'Job runs finished by this instance, by job and outcome (succeeded, failed, interrupted)',
    labelNames: ['job_name', 'outcome'] as const,
    registers: [d.metrics],
  });
  const runDuration = new Histogram({
    name: 'acolhe_job_run_duration_seconds',
    help: 'Duration of the job runs this instance finished, by job',
    labelNames: ['job_name'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400],
    registers: [d.metrics],
  });
  new Gauge({
    name: 'acolhe_job_last_success_timestamp_seconds',
    help: 'When each job last succeeded on any instance (Unix time; 0: never). Alert: time() - this > threshold',
    labelNames: ['job_name'] as const,
    registers: [d.metrics],
    async collect() {
      this.reset();
      const last = new Map((await repo.lastSuccesses().catch(() => [])).map((r) => [r.job_name, r.finished_at]));
      for (const def of defined.values())
        if (def.history) this.set({ job_name: def.name }, (last.get(def.name)?.getTime() ?? 0) / 1000);
    },
  });

  const sendOptions = (def: Defined) => ({
    expireInSeconds: def.timeoutSeconds,
    retryLimit: def.retryLimit,
    retryDelay: def.retryDelaySeconds,
    retryBackoff: true,
  });

  async function run(def: Defined, job: PgBoss.JobWithMetadata<JobData>): Promise<JobSummary | void> {
    const data = job.data ?? {};
    const trigger = data.trigger ?? 'enqueued';
    const attempt = job.retryCount + 1;
    const jobLog = log.child({ job: def.name, job_id: job.id, attempt });
    const limit = AbortSignal.timeout(def.timeoutSeconds * 1000);
    const signal = AbortSignal.any([limit, stopping.signal]);
    const runId = def.history
      ? (
          await repo.startRun({
            name: def.name,
            jobId: job.id,
            trigger,
            attempt,
            worker,
            requestedBy: data.requested_by ?? null,
          })
        ).id
      : null;
    if (runId) running.add(runId);
    const t0 = performance.now();
    const finish = async (outcome: 'succeeded' | 'failed' | 'interrupted', summary: unknown, error: string | null) => {
      runsTotal.inc({ job_name: def.name, outcome });
      runDuration.observe({ job_name: def.name }, (performance.now() - t0) / 1000);
      if (!runId) return;
      running.delete(runId);
      await repo
        .finishRun(runId, { status: outcome, summary, error })
        .catch((err: unknown) =>
          jobLog.warn({ err: { message: describeError(err) } }, 'could not record the end of a job run'),
        );
    };
    jobLog.info({ trigger }, 'job started');
    try {
      const summary =
        (await def.handler({
          jobId: job.id,
          name: def.name,
          data,
          trigger,
          attempt,
          signal,
          draining: draining.signal,
          log: jobLog,
        })) ?? null;
      if (signal.aborted) throw signal.reason;
      await finish('succeeded', summary, null);
      jobLog.info({ duration_ms: Math.round(performance.now() - t0) }, 'job succeeded');
      return summary ?? undefined;
    } catch (err) {
      const error = limit.aborted
        ? `time limit of ${def.timeoutSeconds} s reached: ${describeError(err)}`
        : describeError(err);
      const outcome = stopping.signal.aborted ? 'interrupted' : 'failed';
      await finish(outcome, null, error);
      jobLog.warn({ error, outcome }, 'job did not succeed');
      // pg-boss records this (no personal data either) and retries while retries remain.
      throw new Error(error);
    }
  }

  /** One beat: this instance's runs are alive; runs nobody beat for three beats go back to the queue. */
  async function heartbeat() {
    try {
      if (running.size) await repo.heartbeat([...running]);
      const silent = await repo.reapSilent(config.JOBS_HEARTBEAT_SECONDS * 3);
      for (const r of silent) {
        log.warn({ job: r.job_name, job_id: r.job_id }, 'job run lost its worker: returned to the queue');
        await boss.fail(r.job_name, r.job_id, { message: 'the worker stopped responding' });
      }
    } catch (err) {
      log.warn({ err: { message: describeError(err) } }, 'job heartbeat failed');
    }
  }

  async function start() {
    await boss.start();
    const names = [...defined.keys()];
    const present = new Set((await repo.existingQueues(names)).map((q) => q.name));
    const missing = names.filter((n) => !present.has(n));
    if (missing.length)
      throw new Error(
        `job queue(s) ${missing.join(', ')} missing: add a migration with ${missing.map((n) => `SELECT pgboss.create_queue('${n}', '{"policy": "standard"}');`).join(' ')} (docs/runbooks/jobs.md)`,
      );
    started = true;
    if (!config.JOBS_ENABLED) {
      log.info({ jobs: names.length }, 'jobs: this instance enqueues but runs none (JOBS_ENABLED=false)');
      return;
    }
    for (const def of defined.values()) {
      const ids: string[] = [];
      for (let i = 0; i < def.concurrency; i++)
        ids.push(
          await boss.work<JobData>(
            def.name,
            { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: config.JOBS_POLL_INTERVAL_MS / 1000 },
            ([job]) => run(def, job!),
          ),
        );
      workers.set(def.name, ids);
      if (def.cron) await boss.schedule(def.name, def.cron, { trigger: 'schedule' }, { tz, ...sendOptions(def) });
      else await boss.unschedule(def.name);
    }
    // A schedule left by a job that no longer exists (renamed, removed) would fire into nothing.
    for (const s of await boss.getSchedules()) if (!defined.has(s.name)) await boss.unschedule(s.name);
    beat = setInterval(() => void heartbeat(), config.JOBS_HEARTBEAT_SECONDS * 1000);
    beat.unref();
    log.info(
      { jobs: names.length, scheduled: [...defined.values()].filter((j) => j.cron).length, worker },
      'jobs: workers and schedules started',
    );
  }

  /**
   * Stops taking jobs at once; running ones get `graceMs` to finish, then are aborted and returned to the
   * queue (retried here or on another instance). Called when the app begins closing; `stop()` awaits it.
   */
  function beginStop(graceMs: number): Promise<void> {
    draining.abort();
    stopped ??= (async () => {
      if (!started) return;
      await boss.stop({ graceful: true, wait: true, close: false, timeout: Math.max(1_000, graceMs) });
      stopping.abort(new Error('the instance is stopping'));
      clearInterval(beat);
      if (config.JOBS_ENABLED) await repo.interruptWorker(worker).catch(() => {});
    })();
    return stopped;
  }

  const service = {
    /** Registers a job. Before the app is ready only (jobs start with it). */
    define<T = Record<string, unknown>>(def: JobDefinition<T>): void {
      if (started) throw new Error(`job ${def.name} defined after the jobs started`);
      if (!NAME.test(def.name)) throw new Error(`job name ${JSON.stringify(def.name)} must match ${NAME}`);
      if (defined.has(def.name)) throw new Error(`job ${def.name} is defined twice`);
      const timeoutSeconds = def.timeoutSeconds ?? 900;
      if (timeoutSeconds >= 24 * 3600) throw new Error(`job ${def.name}: timeoutSeconds must be under 24 h`);
      defined.set(def.name, {
        name: def.name,
        description: def.description,
        cron: checkedCron(def.schedule, tz, def.scheduleVariable ?? `the schedule of job ${def.name}`),
        scheduleVariable: def.scheduleVariable ?? null,
        timeoutSeconds,
        retryLimit: def.retryLimit ?? 2,
        retryDelaySeconds: def.retryDelaySeconds ?? 5,
        concurrency: def.concurrency ?? config.JOBS_CONCURRENCY,
        history: def.history ?? true,
        handler: def.handler as Defined['handler'],
      });
    },

    /** Enqueues a run of a defined job; the job id, or null when a waiting job with the same key exists. */
    async send(name: string, data: Record<string, unknown> = {}, o: SendOptions = {}): Promise<string | null> {
      const def = defined.get(name);
      if (!def) throw new Error(`unknown job ${name}`);
      const id = await boss.send(
        name,
        { trigger: 'enqueued', ...data },
        {
          ...sendOptions(def),
          ...(o.startAfter ? { startAfter: o.startAfter } : {}),
          ...(o.singletonKey ? { singletonKey: o.singletonKey } : {}),
          ...(o.tx ? { db: bossDb(o.tx) } : {}),
        },
      );
      // A job due now wakes a local worker at once (others poll); one sent in a transaction waits for wake().
      if (!o.tx && (!o.startAfter || o.startAfter.getTime() <= Date.now())) service.wake(name);
      return id;
    },

    /** Wakes one of this instance's workers of `name` (after committing a transaction that sent it a job). */
    wake(name: string): void {
      const ids = workers.get(name);
      if (ids?.length) boss.notifyWorker(ids[0]!);
    },

    /** POST /admin/jobs/:name/run: one run now, recorded as manual and requested by `userId`. */
    async runNow(name: string, userId: string): Promise<{ job_id: string; name: string }> {
      if (!defined.has(name)) throw notFound('Job');
      const id = await service.send(name, { trigger: 'manual', requested_by: userId });
      return { job_id: id!, name };
    },

    /** GET /admin/jobs: every job, its schedule and next run, what waits in its queue, its latest runs. */
    async overview(): Promise<JobsOverview> {
      const defs = [...defined.values()];
      const names = defs.map((j) => j.name);
      const historic = defs.filter((j) => j.history).map((j) => j.name);
      const [runs, failures, successes, counts] = await Promise.all([
        repo.recentRuns(historic, LISTED_RUNS, false),
        repo.recentRuns(historic, LISTED_RUNS, true),
        repo.lastSuccesses(),
        repo.queueCounts(names),
      ]);
      const byJob = (rows: RunRow[], name: string) =>
        rows.filter((r) => r.job_name === name).map(({ job_name: _n, ...r }) => r);
      const now = new Date();
      return {
        timezone: tz,
        instance: { runs_jobs: config.JOBS_ENABLED, concurrency: config.JOBS_CONCURRENCY },
        jobs: defs.map((j) => {
          const count = (state: string) => counts.find((c) => c.name === j.name && c.state === state)?.count ?? 0;
          return {
            name: j.name,
            description: j.description,
            schedule: j.cron,
            schedule_variable: j.scheduleVariable,
            next_run_at: j.cron ? nextRun(j.cron, tz, now) : null,
            timeout_seconds: j.timeoutSeconds,
            retry_limit: j.retryLimit,
            history: j.history,
            queue: { waiting: count('created'), retrying: count('retry'), active: count('active') },
            last_success_at: successes.find((s) => s.job_name === j.name)?.finished_at ?? null,
            last_runs: byJob(runs, j.name),
            failures: byJob(failures, j.name),
          };
        }),
      };
    },

    /** Resolves once this instance's jobs have stopped (the app is closing), at once if it is not closing. */
    stopped: (): Promise<void> => stopped ?? Promise.resolve(),

    /** Runs older than JOBS_HISTORY_DAYS (each job's newest success kept). */
    pruneHistory: () => repo.pruneRuns(config.JOBS_HISTORY_DAYS),
  };

  return { service, start, beginStop };
}

export type JobsService = ReturnType<typeof createJobsService>['service'];
