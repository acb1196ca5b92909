-- migrate:up
-- The run history of the jobs (GET /api/v1/admin/jobs, the last-success metrics and their alerts): one row
-- per run of a job, written by the worker that runs it. pg-boss's own tables forget a job after days; this
-- keeps outcomes for JOBS_HISTORY_DAYS (the monthly restore test's result must outlive a month). No
-- personal data: summaries hold counts and table names, errors are the jobs' own messages.
SET LOCAL lock_timeout = '5s';

CREATE TABLE job_runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_name     text NOT NULL CONSTRAINT job_runs_job_name_check CHECK (job_name ~ '^[a-z][a-z0-9_.-]{0,99}$'),
  job_id       uuid NOT NULL,
  trigger      text NOT NULL CONSTRAINT job_runs_trigger_check CHECK (trigger IN ('schedule', 'manual', 'enqueued')),
  attempt      integer NOT NULL DEFAULT 1 CONSTRAINT job_runs_attempt_check CHECK (attempt >= 1),
  worker       text NOT NULL CONSTRAINT job_runs_worker_check CHECK (length(worker) BETWEEN 1 AND 200),
  status       text NOT NULL DEFAULT 'running'
               CONSTRAINT job_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  summary      jsonb,
  error        text CONSTRAINT job_runs_error_check CHECK (length(error) <= 2000),
  created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT job_runs_finished_at_check CHECK ((status = 'running') = (finished_at IS NULL) AND finished_at >= started_at)
);
COMMENT ON TABLE job_runs IS 'One row per run of a job (jobs module); created_by is who asked for a manual run';
-- The admin listing and the metrics: the newest runs of one job.
CREATE INDEX job_runs_job_name_started_at_idx ON job_runs (job_name, started_at DESC);
-- The heartbeat reaper looks at running rows only.
CREATE INDEX job_runs_running_idx ON job_runs (heartbeat_at) WHERE status = 'running';
-- Pruning by age.
CREATE INDEX job_runs_started_at_idx ON job_runs (started_at);

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE job_runs;
