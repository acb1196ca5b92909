// GET /api/v1/admin/jobs and POST /api/v1/admin/jobs/:name/run.
import { Type, type Static } from '@sinclair/typebox';
import { Id, Nullable, Timestamp } from '../../platform/schemas.js';

export const JobNameParam = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,99}$', description: 'job name, e.g. backup' }),
});

const Run = Type.Object({
  id: Id,
  job_id: Type.String({ format: 'uuid', description: 'the queued job; its retries share it' }),
  trigger: Type.Union(['schedule', 'manual', 'enqueued'].map((t) => Type.Literal(t))),
  attempt: Type.Integer({ minimum: 1, description: '1, then 2 for the first retry, ...' }),
  worker: Type.String({ description: 'host:pid:id of the instance that ran it' }),
  status: Type.Union(
    ['running', 'succeeded', 'failed', 'interrupted'].map((s) => Type.Literal(s)),
    {
      description: 'interrupted: its instance stopped or died; the job went back to the queue',
    },
  ),
  started_at: Timestamp,
  finished_at: Nullable(Timestamp),
  duration_ms: Nullable(Type.Integer()),
  summary: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
    description: 'what the run did (counts, table and file names; never personal data)',
  }),
  error: Nullable(Type.String({ description: 'why it failed (no personal data)' })),
});

const Job = Type.Object({
  name: Type.String(),
  description: Type.String(),
  schedule: Nullable(Type.String({ description: `cron in the organisation's time zone; null: not scheduled` })),
  schedule_variable: Nullable(Type.String({ description: 'the configuration variable that sets the schedule' })),
  next_run_at: Nullable(Timestamp),
  timeout_seconds: Type.Integer(),
  retry_limit: Type.Integer(),
  history: Type.Boolean({ description: 'false: runs are not recorded (frequent internal jobs)' }),
  queue: Type.Object({
    waiting: Type.Integer(),
    retrying: Type.Integer({ description: 'failed, waiting for their retry' }),
    active: Type.Integer(),
  }),
  last_success_at: Nullable(Timestamp),
  last_runs: Type.Array(Run, { description: 'newest first, at most 5' }),
  failures: Type.Array(Run, { description: 'the newest failed or interrupted runs, at most 5' }),
});

export const JobsOverview = Type.Object({
  timezone: Type.String({ description: 'ORG_TIMEZONE: schedules are evaluated in it' }),
  instance: Type.Object({
    runs_jobs: Type.Boolean({ description: 'JOBS_ENABLED of the instance that answered' }),
    concurrency: Type.Integer(),
  }),
  jobs: Type.Array(Job),
});
export type JobsOverview = Static<typeof JobsOverview>;

export const RunRequested = Type.Object({ job_id: Type.String({ format: 'uuid' }), name: Type.String() });
