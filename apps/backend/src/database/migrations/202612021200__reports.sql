-- migrate:up
-- Reports (docs/reports.md): one SQL function per report computes its measures from the base tables for a
-- range of days; a materialized view holds that function over all time, refreshed CONCURRENTLY by the reports
-- module (its unique index makes CONCURRENTLY possible); report_refreshes logs every refresh and is the
-- source of a report's as_of (PostgreSQL records no refresh time).
-- Function bodies name their schema (public.): pg_restore refreshes the views with an empty search_path, and a SET
-- clause would stop the planner from inlining them (the period filters would no longer reach the base tables).
-- Months are calendar months of ORG_TIMEZONE: the refresh sets app.org_timezone (set_config(..., true)); without
-- it America/Sao_Paulo is assumed, like the birth-date guard.
SET LOCAL lock_timeout = '5s';

CREATE FUNCTION report_timezone() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT COALESCE(NULLIF(current_setting('app.org_timezone', true), ''), 'America/Sao_Paulo') $$;
COMMENT ON FUNCTION report_timezone() IS
  'the organisation''s time zone for report months (app.org_timezone, else America/Sao_Paulo)';

-- Age bands: 18–29 is youth (Estatuto da Juventude: up to 29), 60+ is older age (Estatuto da Pessoa Idosa).
CREATE FUNCTION report_age_band(birth date, on_day date) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN birth IS NULL OR birth > on_day THEN 'unknown'
    WHEN date_part('year', age(on_day, birth)) < 18 THEN '0-17'
    WHEN date_part('year', age(on_day, birth)) < 30 THEN '18-29'
    WHEN date_part('year', age(on_day, birth)) < 45 THEN '30-44'
    WHEN date_part('year', age(on_day, birth)) < 60 THEN '45-59'
    ELSE '60+'
  END
$$;
COMMENT ON FUNCTION report_age_band(date, date) IS 'age band of someone born on birth, on the given day (whole years)';

-- A place name as reports group it: trimmed, case and accents ignored; '' when not informed.
CREATE FUNCTION report_place_key(place text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT COALESCE(lower(public.immutable_unaccent(btrim(place))), '') $$;

-- 1. Attendance per workshop (and per project: workshop_id NULL) per month of session_date.
CREATE FUNCTION report_attendance_rows(from_day date, to_day date)
  RETURNS TABLE (month date, project_id bigint, workshop_id bigint, sessions_held integer, participants integer,
                 marks integer, present integer)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT date_trunc('month', a.session_date::timestamp)::date, w.project_id, w.id,
         count(DISTINCT (a.workshop_id, a.session_date))::integer,
         count(DISTINCT a.beneficiary_id)::integer,
         count(*)::integer,
         count(*) FILTER (WHERE a.present)::integer
    FROM public.attendance a
    JOIN public.workshops w ON w.id = a.workshop_id
   WHERE a.session_date >= from_day AND a.session_date < to_day
   GROUP BY GROUPING SETS ((date_trunc('month', a.session_date::timestamp), w.project_id, w.id),
                           (date_trunc('month', a.session_date::timestamp), w.project_id))
$$;

-- 2. Enrolment funnel per project per month of request (created_at in the organisation's zone), by the
-- enrolment's status now: approved counts every enrolment that reached approval (approved, withdrawn, completed).
CREATE FUNCTION report_enrollment_rows(from_day date, to_day date)
  RETURNS TABLE (month date, project_id bigint, requested integer, pending integer, rejected integer,
                 approved integer, active integer, withdrawn integer, completed integer)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT date_trunc('month', e.created_at AT TIME ZONE public.report_timezone())::date, e.project_id,
         count(*)::integer,
         count(*) FILTER (WHERE e.status = 'pending')::integer,
         count(*) FILTER (WHERE e.status = 'rejected')::integer,
         count(*) FILTER (WHERE e.status IN ('approved', 'withdrawn', 'completed'))::integer,
         count(*) FILTER (WHERE e.status = 'approved')::integer,
         count(*) FILTER (WHERE e.status = 'withdrawn')::integer,
         count(*) FILTER (WHERE e.status = 'completed')::integer
    FROM public.enrollments e
   WHERE e.created_at >= from_day::timestamp AT TIME ZONE public.report_timezone()
     AND e.created_at < to_day::timestamp AT TIME ZONE public.report_timezone()
   GROUP BY 1, 2
$$;

-- Who was served: women present at one session or more, per month and project (of the session's workshop).
CREATE FUNCTION report_served_people(from_day date, to_day date)
  RETURNS TABLE (month date, project_id bigint, beneficiary_id bigint)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT DISTINCT date_trunc('month', a.session_date::timestamp)::date, w.project_id, a.beneficiary_id
    FROM public.attendance a
    JOIN public.workshops w ON w.id = a.workshop_id
   WHERE a.present AND a.session_date >= from_day AND a.session_date < to_day
$$;

-- 3. People served (present at one session or more) per month, per project and for the whole organisation
-- (project_id NULL), by state, city, neighbourhood and age band at the month's last day.
CREATE FUNCTION report_served_rows(from_day date, to_day date)
  RETURNS TABLE (month date, project_id bigint, state text, city_key text, city text, neighbourhood_key text,
                 neighbourhood text, age_band text, people integer)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT p.month, p.project_id, p.state, p.city_key, min(p.city), p.neighbourhood_key, min(p.neighbourhood),
         p.age_band, count(DISTINCT p.beneficiary_id)::integer
    FROM (SELECT s.month, s.project_id, s.beneficiary_id, COALESCE(b.address_state, '') AS state,
                 public.report_place_key(b.address_city) AS city_key, btrim(b.address_city) AS city,
                 public.report_place_key(b.address_neighbourhood) AS neighbourhood_key,
                 btrim(b.address_neighbourhood) AS neighbourhood,
                 public.report_age_band(b.birth_date, (s.month + interval '1 month' - interval '1 day')::date)
                   AS age_band
            FROM public.report_served_people(from_day, to_day) s
            JOIN public.beneficiaries b ON b.id = s.beneficiary_id) AS p
   GROUP BY GROUPING SETS ((p.month, p.project_id, p.state, p.city_key, p.neighbourhood_key, p.age_band),
                           (p.month, p.state, p.city_key, p.neighbourhood_key, p.age_band))
$$;

-- 4. People served with each vulnerability (as recorded now), per month, per project and organisation-wide.
CREATE FUNCTION report_vulnerability_rows(from_day date, to_day date)
  RETURNS TABLE (month date, project_id bigint, vulnerability_id bigint, people integer)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT s.month, s.project_id, bv.vulnerability_id, count(DISTINCT s.beneficiary_id)::integer
    FROM public.report_served_people(from_day, to_day) s
    JOIN public.beneficiary_vulnerabilities bv ON bv.beneficiary_id = s.beneficiary_id
   GROUP BY GROUPING SETS ((s.month, s.project_id, bv.vulnerability_id), (s.month, bv.vulnerability_id))
$$;

-- 5. Capacity use per workshop per month of its run (up to the current month): seats taken by the month's
-- last day (participants by the day they joined, in the organisation's zone) against the capacity.
-- Cancelled workshops offer no seats and are left out.
CREATE FUNCTION report_capacity_rows(from_day date, to_day date)
  RETURNS TABLE (month date, project_id bigint, workshop_id bigint, capacity integer, seats integer)
  LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT m.month::date, w.project_id, w.id, w.capacity,
         (SELECT count(*) FROM public.workshop_participants p
           WHERE p.workshop_id = w.id
             AND p.created_at < (m.month + interval '1 month') AT TIME ZONE public.report_timezone())::integer
    FROM public.workshops w
   CROSS JOIN LATERAL generate_series(date_trunc('month', w.start_date::timestamp),
                                      LEAST(w.end_date, (now() AT TIME ZONE public.report_timezone())::date)::timestamp,
                                      interval '1 month') AS m(month)
   WHERE w.status <> 'cancelled' AND m.month >= from_day AND m.month < to_day
$$;

CREATE MATERIALIZED VIEW report_attendance AS
  SELECT month, project_id, workshop_id, sessions_held, participants, marks, present
    FROM report_attendance_rows('-infinity', 'infinity');
-- The view was created just above, in this transaction: no one else sees it yet, so nothing waits.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX report_attendance_key ON report_attendance (month, project_id, workshop_id) NULLS NOT DISTINCT;

CREATE MATERIALIZED VIEW report_enrollments AS
  SELECT month, project_id, requested, pending, rejected, approved, active, withdrawn, completed
    FROM report_enrollment_rows('-infinity', 'infinity');
-- The view was created just above, in this transaction: no one else sees it yet, so nothing waits.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX report_enrollments_key ON report_enrollments (month, project_id);

CREATE MATERIALIZED VIEW report_served AS
  SELECT month, project_id, state, city_key, city, neighbourhood_key, neighbourhood, age_band, people
    FROM report_served_rows('-infinity', 'infinity');
-- The view was created just above, in this transaction: no one else sees it yet, so nothing waits.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX report_served_key ON report_served (month, project_id, state, city_key, neighbourhood_key, age_band)
  NULLS NOT DISTINCT;

CREATE MATERIALIZED VIEW report_vulnerabilities AS
  SELECT month, project_id, vulnerability_id, people
    FROM report_vulnerability_rows('-infinity', 'infinity');
-- The view was created just above, in this transaction: no one else sees it yet, so nothing waits.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX report_vulnerabilities_key ON report_vulnerabilities (month, project_id, vulnerability_id)
  NULLS NOT DISTINCT;

CREATE MATERIALIZED VIEW report_capacity AS
  SELECT month, project_id, workshop_id, capacity, seats
    FROM report_capacity_rows('-infinity', 'infinity');
-- The view was created just above, in this transaction: no one else sees it yet, so nothing waits.
-- squawk-ignore require-concurrent-index-creation
CREATE UNIQUE INDEX report_capacity_key ON report_capacity (month, project_id, workshop_id);

-- The refresh log: one row per refresh attempt, written by the refresh itself (in its transaction when it
-- succeeds, so a report's as_of and the data it describes commit together; after the rollback when it fails).
CREATE TABLE report_refreshes (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trigger      text NOT NULL
               CONSTRAINT report_refreshes_trigger_check CHECK (trigger IN ('user', 'schedule', 'system')),
  -- Who asked (trigger = 'user'), or which schedule or system step (trigger = 'schedule' | 'system').
  requested_by bigint CONSTRAINT report_refreshes_requested_by_fkey REFERENCES users (id) ON DELETE SET NULL,
  source       text CONSTRAINT report_refreshes_source_check CHECK (length(source) BETWEEN 1 AND 100),
  status       text NOT NULL CONSTRAINT report_refreshes_status_check CHECK (status IN ('succeeded', 'failed')),
  -- SQLSTATE of a failed refresh (57014: the statement timeout); never the message, which may quote data.
  error_code   text CONSTRAINT report_refreshes_error_code_check CHECK (error_code ~ '^[0-9A-Z]{5}$'),
  timezone     text NOT NULL CONSTRAINT report_refreshes_timezone_check CHECK (length(timezone) BETWEEN 1 AND 64),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  duration_ms  integer NOT NULL CONSTRAINT report_refreshes_duration_ms_check CHECK (duration_ms >= 0),
  -- Rows and milliseconds per view: {"report_attendance": {"rows": 12, "duration_ms": 3}, ...}.
  views        jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT report_refreshes_finished_at_check CHECK (finished_at >= started_at),
  CONSTRAINT report_refreshes_error_code_status_check CHECK ((status = 'failed') = (error_code IS NOT NULL)),
  CONSTRAINT report_refreshes_source_trigger_check CHECK ((trigger = 'user') = (source IS NULL))
);
-- as_of: the newest succeeded refresh.
CREATE INDEX report_refreshes_succeeded_idx ON report_refreshes (started_at DESC, id DESC) WHERE status = 'succeeded';
CREATE INDEX report_refreshes_requested_by_idx ON report_refreshes (requested_by);

-- The column classification (issue 16, one comment per column: '<class>: <what it holds>'). The views hold
-- unsuppressed aggregate counts: only the reports module reads them, and it suppresses small ones.
COMMENT ON COLUMN report_attendance.month IS 'operational: first day of the month of the sessions';
COMMENT ON COLUMN report_attendance.project_id IS 'operational: the project';
COMMENT ON COLUMN report_attendance.workshop_id IS 'operational: the workshop (NULL: the project''s total)';
COMMENT ON COLUMN report_attendance.sessions_held IS 'operational: distinct (workshop, day) sessions with a sheet';
COMMENT ON COLUMN report_attendance.participants IS 'personal: women on the month''s sheets (count, unsuppressed)';
COMMENT ON COLUMN report_attendance.marks IS 'personal: attendance marks (count, unsuppressed)';
COMMENT ON COLUMN report_attendance.present IS 'personal: marks present (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.month IS 'operational: first day of the month the enrolments were requested';
COMMENT ON COLUMN report_enrollments.project_id IS 'operational: the project';
COMMENT ON COLUMN report_enrollments.requested IS 'personal: enrolments requested (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.pending IS 'personal: of those, pending now (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.rejected IS 'personal: of those, rejected (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.approved IS 'personal: of those, ever approved (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.active IS 'personal: of those, approved now (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.withdrawn IS 'personal: of those, withdrawn (count, unsuppressed)';
COMMENT ON COLUMN report_enrollments.completed IS 'personal: of those, completed (count, unsuppressed)';
COMMENT ON COLUMN report_served.month IS 'operational: first day of the month served';
COMMENT ON COLUMN report_served.project_id IS 'operational: the project (NULL: the whole organisation)';
COMMENT ON COLUMN report_served.state IS 'personal: UF of the women counted (aggregate, beside an unsuppressed count)';
COMMENT ON COLUMN report_served.city_key IS 'personal: city as grouped (aggregate, beside an unsuppressed count)';
COMMENT ON COLUMN report_served.city IS 'personal: a spelling of the city (aggregate, beside an unsuppressed count)';
COMMENT ON COLUMN report_served.neighbourhood_key IS 'personal: neighbourhood as grouped (aggregate)';
COMMENT ON COLUMN report_served.neighbourhood IS 'personal: a spelling of the neighbourhood (aggregate)';
COMMENT ON COLUMN report_served.age_band IS 'personal: age band on the month''s last day (aggregate)';
COMMENT ON COLUMN report_served.people IS 'personal: women served (count, unsuppressed)';
COMMENT ON COLUMN report_vulnerabilities.month IS 'operational: first day of the month served';
COMMENT ON COLUMN report_vulnerabilities.project_id IS 'operational: the project (NULL: the whole organisation)';
COMMENT ON COLUMN report_vulnerabilities.vulnerability_id IS 'operational: the catalogue''s vulnerability';
COMMENT ON COLUMN report_vulnerabilities.people IS 'sensitive: women served with the vulnerability (count, unsuppressed)';
COMMENT ON COLUMN report_capacity.month IS 'operational: first day of a month of the workshop''s run';
COMMENT ON COLUMN report_capacity.project_id IS 'operational: the project';
COMMENT ON COLUMN report_capacity.workshop_id IS 'operational: the workshop';
COMMENT ON COLUMN report_capacity.capacity IS 'operational: the workshop''s capacity (now)';
COMMENT ON COLUMN report_capacity.seats IS 'personal: participants joined by the month''s end (count, unsuppressed)';
COMMENT ON COLUMN report_refreshes.id IS 'operational: key';
COMMENT ON COLUMN report_refreshes.trigger IS 'operational: user, schedule or system';
COMMENT ON COLUMN report_refreshes.requested_by IS 'operational: the staff user who asked (trigger user)';
COMMENT ON COLUMN report_refreshes.source IS 'operational: the schedule or system step (migration, startup, smoke)';
COMMENT ON COLUMN report_refreshes.status IS 'operational: succeeded or failed';
COMMENT ON COLUMN report_refreshes.error_code IS 'operational: SQLSTATE of a failure (never its message)';
COMMENT ON COLUMN report_refreshes.timezone IS 'operational: ORG_TIMEZONE the months were computed in';
COMMENT ON COLUMN report_refreshes.started_at IS 'operational: start of the refresh (the as_of of the reports)';
COMMENT ON COLUMN report_refreshes.finished_at IS 'operational: end of the refresh';
COMMENT ON COLUMN report_refreshes.duration_ms IS 'operational: how long it took';
COMMENT ON COLUMN report_refreshes.views IS 'operational: rows and milliseconds per view';
COMMENT ON COLUMN report_refreshes.created_at IS 'operational: when the row was written';

-- The views as created here hold the data of this moment: logged like any refresh.
INSERT INTO report_refreshes (trigger, source, status, timezone, started_at, finished_at, duration_ms)
VALUES ('system', 'migration', 'succeeded', report_timezone(), now(), clock_timestamp(),
        GREATEST(0, floor(extract(epoch FROM clock_timestamp() - now()) * 1000))::integer);

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP TABLE report_refreshes;
DROP MATERIALIZED VIEW report_capacity;
DROP MATERIALIZED VIEW report_vulnerabilities;
DROP MATERIALIZED VIEW report_served;
DROP MATERIALIZED VIEW report_enrollments;
DROP MATERIALIZED VIEW report_attendance;
DROP FUNCTION report_capacity_rows(date, date);
DROP FUNCTION report_vulnerability_rows(date, date);
DROP FUNCTION report_served_rows(date, date);
DROP FUNCTION report_served_people(date, date);
DROP FUNCTION report_enrollment_rows(date, date);
DROP FUNCTION report_attendance_rows(date, date);
DROP FUNCTION report_place_key(text);
DROP FUNCTION report_age_band(date, date);
DROP FUNCTION report_timezone();
